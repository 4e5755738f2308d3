"""The bad-input fuzzer (tests/fuzz_api.py) in CI, and proof that it finds defects.

* The bounded run: ``N_CALLS`` generated hostile calls over every public function,
  method, layer, loss and optimizer (seed 0), 0 defects. The long run is a command
  (docs/errors.md "The bad-input fuzzer"):
  ``.venv/bin/python -m tests.fuzz_api --calls 50000 --seed 100``.
* Each kind of defect, injected with monkeypatch, is classified as that defect: a raw
  error, a silent wrong value, a wrong gradient, a silent acceptance of what PyTorch
  refuses, a wrong exception class, a hang, a write into shared constants.
* The targets are generated: a function added to the registry is fuzzed without an edit.
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

import autograd as ag
from autograd import registry
from autograd.devices import DeviceUnavailableError

sys.path.insert(0, os.path.dirname(__file__))
import fuzz_api as fz  # noqa: E402

pytestmark = pytest.mark.torch

N_CALLS = 5000   # ~25 s on one core


def test_ci_run_has_no_defects():
    counts, defects = fz.run(N_CALLS, seed=0)
    assert sum(counts.values()) == N_CALLS
    shown = "\n".join(f"[{k}] {c}\n    {d}" for k, c, d in defects[:20])
    assert not defects, f"{len(defects)} defects:\n{shown}"
    # the run exercises every outcome that is not a defect
    for outcome in ("match", "clear", "refused", "extension", "sane"):
        assert counts[outcome] > 0, counts


def test_targets_cover_the_registry_and_all():
    names = {t.name for t in fz.targets()}
    assert set(registry.PUBLIC) <= names
    attrs = {m for m, f in registry.METHODS.items() if isinstance(f, property)}  # (t.device)
    assert {"Tensor." + m for m in registry.METHODS} - {"Tensor." + m for m in
                                                       fz.META_METHODS | attrs} <= names
    assert {"nn.Linear", "nn.CrossEntropyLoss", "optim.Adam", "F.cross_entropy",
            "zeros", "randint"} <= names


def _one(name: str, calls: int = 60, **kw):
    counts, defects = fz.run(calls, seed=1, only=name, **kw)
    return counts, {k for k, _, _ in defects}


def test_a_new_public_function_is_fuzzed_without_an_edit(monkeypatch):
    def frobnicate(x):
        x = ag.as_tensor(x)
        if x.dtype.kind != "f":
            raise TypeError(f"frobnicate: needs a floating point tensor, got {x.dtype}")
        return x * 2

    monkeypatch.setitem(registry.PUBLIC, "frobnicate", frobnicate)
    counts, kinds = _one("frobnicate")
    assert counts["sane"] > 0 and not kinds  # unknown to PyTorch: clear error or sane result


def test_a_raw_error_is_a_defect(monkeypatch):
    def softplus(x, beta=1.0, threshold=20.0):
        return {}["boom"]   # a KeyError from deep inside

    monkeypatch.setitem(registry.PUBLIC, "softplus", softplus)
    assert "raw" in _one("softplus")[1]


def test_an_error_naming_another_op_is_a_defect(monkeypatch):
    def softplus(x, beta=1.0, threshold=20.0):
        raise ValueError("internal_helper: bad input")

    monkeypatch.setitem(registry.PUBLIC, "softplus", softplus)
    assert "raw" in _one("softplus")[1]


def test_a_silent_wrong_value_is_a_defect(monkeypatch):
    exp = registry.PUBLIC["exp"]
    monkeypatch.setitem(registry.PUBLIC, "exp", lambda x: exp(x) * 1.001)
    assert "value" in _one("exp")[1]


def test_a_wrong_gradient_is_a_defect(monkeypatch):
    sin = registry.PUBLIC["sin"]

    def bad_sin(x):
        x = ag.as_tensor(x)
        return sin(x) + (x - x.detach()) * 0.5   # same value, gradient cos(x) + 0.5

    monkeypatch.setitem(registry.PUBLIC, "sin", bad_sin)
    assert "grad" in _one("sin")[1]


def test_accepting_what_torch_refuses_is_a_defect(monkeypatch):
    transpose = registry.PUBLIC["transpose"]

    def lax(x, dim0=-2, dim1=-1):
        x = ag.as_tensor(x)
        return x.clone() if x.ndim < 2 else transpose(x, dim0 % x.ndim, dim1 % x.ndim)

    monkeypatch.setitem(registry.PUBLIC, "transpose", lax)
    assert "silent" in _one("transpose", 150)[1]


def test_a_wrong_exception_class_is_a_defect(monkeypatch):
    def chunk(x, chunks, dim=0):
        raise KeyError("chunk: chunks must be positive")  # PyTorch: RuntimeError

    monkeypatch.setitem(registry.PUBLIC, "chunk", chunk)
    assert _one("chunk", 150)[1] & {"raw", "class"}


def test_a_hang_is_a_defect(monkeypatch):
    def exp(x):
        time.sleep(3)

    monkeypatch.setitem(registry.PUBLIC, "exp", exp)
    t0 = time.perf_counter()
    assert "hang" in _one("exp", 2, timeout=0.2)[1]
    assert time.perf_counter() - t0 < 5


def test_writing_into_cached_constants_is_a_defect(monkeypatch):
    relu = registry.PUBLIC["relu"]

    def leaky(x):
        ag.as_tensor(1.0)._d = np.ones(3, dtype=np.float32)  # corrupt the shared 1.0
        return relu(x)

    monkeypatch.setitem(registry.PUBLIC, "relu", leaky)
    assert "state" in _one("relu", 5)[1]


def test_deliberate_list_is_short_and_documented():
    text = open(os.path.join(fz.ROOT, "docs", "errors.md")).read()
    assert len(fz.DELIBERATE) <= 8
    for kind, pred, why in fz.DELIBERATE:
        assert pred.__doc__ and pred.__name__ in text, pred.__name__


def _target(name: str) -> "fz.Target":
    return next(t for t in fz.targets() if t.name == name)


def test_kernel_overflow_excuses_only_an_overflowing_softplus():
    """``softplus(x, 1e30, inf)`` overflows PyTorch's exp (excused); with the default
    threshold both sides are linear there and must agree (not excused), as must
    ``nn.Softplus`` with a moderate beta."""
    x = fz.Arr(np.array([1.0, 2.0, -3.0], dtype=np.float32), False)
    c = fz.Call(_target("softplus"), [x, 1e30, float("inf")])
    assert fz._kernel_overflow(c)
    c.args[2] = 20.0
    assert not fz._kernel_overflow(c)
    layer = fz.Call(_target("nn.Softplus"), [], ctor=[2.0, float("inf")], extra=x)
    assert not fz._kernel_overflow(layer)
    layer.ctor[0] = 1e30
    assert fz._kernel_overflow(layer)



def test_kernel_overflow_leaves_out_only_torchs_overflowed_elements(monkeypatch):
    """The excused call is "deliberate" (PyTorch's inf left out, the finite rest equal);
    a wrong finite element in the same call is still a value defect."""
    t = _target("softplus")
    x = fz.Arr(np.array([[0.5, -2.0, 3.0]], dtype=np.float32), False)
    assert fz.classify(fz.Call(t, [x, 1e30, float("inf")]))[0] == "deliberate"
    real = ag.softplus
    monkeypatch.setattr(t, "ours", lambda *a: real(*a) + ag.tensor([0.0, 1.0, 0.0]))
    assert fz.classify(fz.Call(t, [x, 1e30, float("inf")]))[0] == "value"


def test_not_implemented_from_an_operator_is_pythons_type_error(monkeypatch):
    """torch's ``t.__and__([1, 2])`` returns NotImplemented (``t & [1, 2]`` is then
    Python's TypeError): tapegrad's NotImplemented is the same outcome, a tensor result
    an extension, never a value defect."""
    t = _target("Tensor.__and__")
    this = fz.Arr(np.ones(3, dtype=np.int64), False)
    c = fz.Call(t, [[1, 2, 3]], n_hostile=1, this=this)
    assert fz.classify(c)[0] == "clear"
    monkeypatch.setattr(ag.Tensor, "__and__", lambda self, other: ag.as_tensor(other))
    assert fz.classify(fz.Call(t, [[1, 2, 3]], n_hostile=1, this=this))[0] == "extension"


def test_global_state_is_restored_after_each_call():
    before = (np.get_printoptions(), ag.get_default_dtype(), ag.is_grad_enabled())
    fz.run(40, seed=0, only="set_printoptions")
    assert (np.get_printoptions(), ag.get_default_dtype(), ag.is_grad_enabled()) == before


def test_attributes_are_not_fuzzed_as_methods():
    names = {t.name for t in fz.targets()}
    assert "Tensor.is_cuda" not in names and "Tensor.device" not in names
    assert "Tensor.cuda" in names


def test_tapegrads_own_assertion_error_subclass_is_not_raw():
    """DeviceUnavailableError is an AssertionError on purpose (PyTorch's "not compiled
    with CUDA" class): a clear error when it names the op, raw otherwise."""
    t = _target("Tensor.cuda")
    assert fz.is_clear(DeviceUnavailableError("cuda(): device 'cuda:0' is not available"), t)[0]
    assert not fz.is_clear(AssertionError("cuda(): boom"), t)[0]


def test_a_clear_error_where_torch_asserts_is_clear_but_returning_is_silent():
    def ours(x):
        raise ValueError("frob: max_val must be greater than min_val")

    def theirs(x):
        assert False, "max_val must be greater than min_val"

    t = fz.Target("function", "frob", ours, theirs, fz._params(ours))
    x = fz.Arr(np.ones(3), False)
    assert fz.classify(fz.Call(t, [x], n_hostile=1)) == ("clear", "")
    t_ok = fz.Target("function", "frob", lambda x: x, theirs, fz._params(ours))
    assert fz.classify(fz.Call(t_ok, [x], n_hostile=1))[0] == "silent"


def test_a_complex_refusal_is_an_order_question_not_a_class_defect():
    """``getitem(1+1j, idx)``: PyTorch takes the complex number and fails on the index
    (IndexError); tapegrad refuses the complex number first (DtypeError): which of the two
    is named is an order question, not a class defect."""
    idx = fz.Arr(np.array([0, 1]), False)
    assert fz.classify(fz.Call(_target("getitem"), [1 + 1j, idx], n_hostile=1))[0] == "order"


def test_a_result_is_compared_at_the_precision_of_its_least_precise_input():
    """cross_entropy(float32 logits, float64 probabilities) is float64 on both sides but
    only float32-accurate: compared at float32's tolerance, while a real difference is
    still a value defect."""
    a = ag.tensor(np.array([2.0821560984], dtype=np.float64))
    close = fz.torch.tensor([2.0821550984], dtype=fz.torch.float64)
    far = fz.torch.tensor([2.0831559916], dtype=fz.torch.float64)
    assert fz.compare(a, close, [], [])[0] == "value"            # at float64's tolerance
    assert fz.compare(a, close, [], [], precision=np.dtype(np.float32))[0] == "match"
    assert fz.compare(a, far, [], [], precision=np.dtype(np.float32))[0] == "value"
    c = fz.Call(_target("F.cross_entropy"),
                [fz.Arr(np.zeros((3, 3), np.float32), True), fz.Arr(np.zeros((3, 3)), False)])
    assert fz._lowest_float(c) == np.float32
