"""`import torch` -> `import autograd as torch` (issue 12): the lazy attributes and the
import-statement forms reach tapegrad's nn, with one copy of each module and no
import cycle (`import autograd` does not import nn)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import autograd
import nn


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_import_autograd_does_not_import_nn():
    got = _run("""
        import sys
        import autograd
        print('nn' in sys.modules, 'nn.optim' in sys.modules)
        autograd.nn
        print('nn' in sys.modules)
    """)
    assert got.split() == ["False", "False", "True"]


def test_every_import_form_of_a_ported_script():
    got = _run("""
        import autograd as torch
        import autograd.nn as nn
        import autograd.nn.functional as F
        import autograd.optim as optim
        from autograd import nn as nn2
        from autograd.nn import functional as F2
        from autograd.utils.data import DataLoader, TensorDataset, Dataset
        from autograd.autograd import Function, Variable, grad
        from autograd.optim.lr_scheduler import StepLR
        import autograd.nn.init as init
        import autograd.utils.data
        import nn as real_nn, nn.functional, nn.optim, nn.data, nn.init
        assert nn is real_nn and nn2 is real_nn and torch.nn is real_nn
        assert F is real_nn.functional and F2 is F and torch.nn.functional is F
        assert optim is real_nn.optim and torch.optim is optim and torch.optim.SGD is optim.SGD
        assert torch.utils.data.DataLoader is DataLoader is real_nn.data.DataLoader
        assert TensorDataset is real_nn.data.TensorDataset and Dataset is real_nn.data.Dataset
        assert torch.autograd.Function is Function is torch.Function
        assert torch.autograd.grad is grad is torch.grad
        assert torch.nn.Linear is real_nn.Linear and torch.nn.init is init is real_nn.init
        assert StepLR is real_nn.optim.lr_scheduler.StepLR
        assert torch.nn.utils.clip_grad_norm_ is real_nn.utils.clip_grad_norm_
        assert callable(torch.manual_seed) and callable(torch.autograd.functional.jacobian)
        import sys
        dup = [k for k in sys.modules if k.startswith('autograd.nn') or k.startswith('autograd.optim')]
        assert all(sys.modules[k] is sys.modules[k.replace('autograd.', '', 1).replace('optim', 'nn.optim', 1)
                   if k.startswith('autograd.optim') else k.replace('autograd.', '', 1)] for k in dup), dup
        print('ok')
    """)
    assert got.strip() == "ok"


def test_attribute_access_in_process():
    assert autograd.nn is nn and autograd.optim is nn.optim
    assert autograd.utils.data is nn.data
    assert autograd.nn.Linear is nn.Linear and autograd.optim.Adam is nn.optim.Adam
    import autograd.nn.functional as F
    assert F is nn.functional


def test_missing_attribute_says_so():
    try:
        autograd.not_a_thing  # noqa: B018
    except AttributeError as e:
        assert "not_a_thing" in str(e)
    else:
        raise AssertionError("no AttributeError")
