"""Every bad-input case in docs/errors.md: the exception class, key words of the message,
and where it is raised.

Each case is a function in this file whose offending line is marked ``# <- raises``
(one-line lambdas need no marker). For each case the test checks

* the class: PyTorch's (``RuntimeError`` for shape and dtype mistakes, ``IndexError``
  for bad axes and indices, ``ValueError`` for optimizer and loss-target mistakes,
  ``TypeError`` for wrong argument types). Shape mistakes raise ``ShapeError``, which
  is also NumPy's ``ValueError``; dtype mistakes ``DtypeError`` (also ``TypeError``);
* key words of the message (the op's name, the shapes or dtypes involved, what to do);
* that the innermost traceback frame outside the library (``autograd/``, ``nn/``,
  NumPy) is the case's own marked line: the error is raised at forward time, from
  the user's call, not later from deep inside NumPy or from backward.

The table in docs/errors.md and the CASES list are checked against each other (same
ids, same exception class), so neither can drift. Run::

    .venv/bin/python -m pytest tests/test_errors.py -q
"""
from __future__ import annotations

import os
import re
import traceback

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd.errors import DtypeError, InvalidArgumentError, OutOfMemoryError, ShapeError
from nn import optim

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
LIB_DIRS = (os.path.join(ROOT, "autograd") + os.sep, os.path.join(ROOT, "nn") + os.sep,
            os.path.dirname(np.__file__) + os.sep)


def T(*shape, rg=True, dtype=np.float32):
    return ag.tensor(np.arange(1, int(np.prod(shape)) + 1, dtype=dtype).reshape(shape) / 7,
                     requires_grad=rg)


# --------------------------------------------------------------------------- the cases
# (id, case, exception class, regexes the message must match)
CASES = []


def case(cid, cls, *words):
    def deco(fn):
        CASES.append((cid, fn, cls, words))
        return fn
    return deco


def binop(cid, expr, name):
    CASES.append((cid, expr, ShapeError, (name, r"\(2, 3\)", r"\(4, 3\)", "broadcast")))


# shape mismatch in every binary op
binop("add-shape", lambda: T(2, 3) + T(4, 3), "add")
binop("sub-shape", lambda: T(2, 3) - T(4, 3), "sub")
binop("mul-shape", lambda: T(2, 3) * T(4, 3), "mul")
binop("div-shape", lambda: T(2, 3) / T(4, 3), "div")
binop("pow-shape", lambda: T(2, 3) ** T(4, 3), "pow")
binop("maximum-shape", lambda: ag.maximum(T(2, 3), T(4, 3)), "maximum")
binop("minimum-shape", lambda: ag.minimum(T(2, 3), T(4, 3)), "minimum")
binop("where-shape", lambda: ag.where(T(2, 3) > 0, T(2, 3), T(4, 3)), "where")
binop("compare-shape", lambda: T(2, 3) > T(4, 3), "greater")
binop("eq-shape", lambda: T(2, 3) == T(4, 3), "equal")
binop("inplace-shape", lambda: T(2, 3, rg=False).add_(T(4, 3, rg=False)), "add_")
CASES += [
    ("matmul-shape", lambda: T(2, 3) @ T(4, 5), ShapeError,
     ("matmul", r"\(2, 3\)", r"\(4, 5\)", "not aligned", "Transpose")),
    ("matmul-batch", lambda: T(2, 3, 4) @ T(3, 4, 5), ShapeError,
     ("matmul", "batch dimensions", r"\(2,\) and \(3,\)", r"\(2, 3, 4\)", r"\(3, 4, 5\)", "broadcast")),
    ("matmul-0d", lambda: T(2, 3) @ ag.tensor(2.0), ShapeError, ("matmul", "at least 1 dim", r"use \*")),
    ("linear-shape", lambda: F.linear(T(2, 3), T(4, 5)), ShapeError,
     ("linear", r"\(2, 3\)", r"\(4, 5\)", "last dimension must be 5")),
    ("conv2d-channels", lambda: ag.conv2d(T(1, 3, 5, 5), T(4, 2, 3, 3)), ShapeError,
     ("conv2d", "3 channels", r"\(4, 2, 3, 3\)", "in_channels")),
    ("conv2d-ndim", lambda: ag.conv2d(T(5, 5), T(1, 1, 2, 2)), ShapeError,
     ("conv2d", r"\(N, C, H, W\)", r"\(5, 5\)")),
    ("conv2d-kernel", lambda: ag.conv2d(T(1, 3, 2, 2), T(4, 3, 3, 3)), ShapeError,
     ("conv2d", "larger than the padded input", "pad the input")),
    ("conv2d-bias", lambda: ag.conv2d(T(1, 3, 5, 5), T(4, 3, 3, 3), T(3)), ShapeError,
     ("conv2d", "bias", r"\(3,\)", r"\(4,\)")),
    ("max_pool2d-kernel", lambda: ag.max_pool2d(T(1, 1, 2, 2), 3), ShapeError,
     ("max_pool2d", r"kernel \(3, 3\)", "larger", r"\(2, 2\)")),
    ("max_pool2d-ndim", lambda: ag.max_pool2d(T(4, 4), 2), ShapeError, ("max_pool2d", "3-D or 4-D", r"\(4, 4\)")),
    ("reshape-shape", lambda: T(2, 3).reshape(4, 2), ShapeError,
     ("reshape", r"\(2, 3\)", "6 elements", r"\(4, 2\)", "-1")),
    ("expand-shape", lambda: T(2, 3).expand(4, 3), ShapeError, ("expand", r"\(2, 3\)", r"\(4, 3\)")),
    ("cat-shape", lambda: ag.cat([T(2, 3), T(3, 4)]), ShapeError,
     ("cat", r"\(3, 4\)", r"\(2, 3\)", "except 0 must match")),
    ("stack-shape", lambda: ag.stack([T(2, 3), T(3, 3)]), ShapeError, ("stack", "equal shapes")),
    # dtypes
    ("int-requires-grad", lambda: ag.tensor([1, 2], requires_grad=True), RuntimeError,
     ("floating point", "int64", r"\.float\(\)")),
    ("int-requires-grad_", lambda: ag.tensor([1, 2]).requires_grad_(), RuntimeError,
     ("requires_grad_", "floating point", "int64")),
    ("bool-sub", lambda: (T(2) > 0) - (T(2) > 0), DtypeError, ("sub", "bool", r"\^")),
    ("bool-neg", lambda: -(T(2) > 0), DtypeError, ("neg", "bool", "~")),
    ("where-cond", lambda: ag.where(T(2, 3), T(2, 3), T(2, 3)), DtypeError,
     ("where", "condition must be a bool", "float32", "x > 0")),
    ("matmul-bool", lambda: ag.tensor([[True]]) @ ag.tensor([[True]]), DtypeError, ("matmul", "bool")),
    ("inplace-expanded", lambda: ag.ones(2).expand(3, 2).add_(1.0), RuntimeError,
     ("add_", "same memory", r"\(3, 2\)", r"clone\(\)")),
    ("floordiv-bool", lambda: ag.tensor([True]) // ag.tensor([True]), DtypeError,
     ("floor_divide", "bool", "convert")),
    ("remainder-int-zero", lambda: ag.tensor([5, 6]) % ag.tensor([2, 0]), RuntimeError,
     ("remainder", "ZeroDivisionError", r"\(2,\)", "mask the zeros")),
    ("mean-int", lambda: ag.tensor([1, 2, 3]).mean(), DtypeError, ("mean", "int64", "floating", r"\.float\(\)")),
    ("var-int", lambda: ag.tensor([1, 2, 3]).var(), DtypeError, ("var", "int64", "floating", r"\.float\(\)")),
    ("inplace-int-float", lambda: ag.tensor([2, 3]).add_(1.5), RuntimeError,
     ("add_", "float64", "int64")),
    ("str-operand", lambda: T(2) + np.array(["a", "b"]), TypeError, ("dtype <U1",)),
    ("complex-operand", lambda: T(2) + (1 + 2j), TypeError, ("complex",)),
    # axes
    ("sum-axis", lambda: T(2, 3).sum(axis=2), IndexError, ("sum", "dimension 2", "2 dimension", "-2 to 1")),
    ("mean-dim", lambda: T(2, 3).mean(dim=-3), IndexError, ("mean", "dimension -3")),
    ("max-dim", lambda: T(2, 3).max(dim=5), IndexError, ("max", "dimension 5")),
    ("softmax-dim", lambda: ag.softmax(T(2, 3), dim=2), IndexError, ("softmax", "dimension 2")),
    ("logsumexp-dim", lambda: ag.logsumexp(T(2, 3), dim=2), IndexError, ("logsumexp", "dimension 2")),
    ("transpose-dim", lambda: T(2, 3).transpose(0, 2), IndexError, ("transpose", "dimension 2")),
    ("cat-dim", lambda: ag.cat([T(2, 3), T(2, 3)], dim=2), IndexError, ("cat", "dimension 2")),
    ("unsqueeze-dim", lambda: T(2, 3).unsqueeze(4), IndexError, ("unsqueeze", "dim 4", "3 dims")),
    ("argmax-dim", lambda: T(2, 3).argmax(dim=3), IndexError, ("argmax", "dimension 3")),
    ("squeeze-dim", lambda: T(2, 3).squeeze(-3), IndexError, ("squeeze", "dimension -3")),
    ("float-axis", lambda: T(2, 3).sum(axis=1.0), TypeError, ("sum", "int or a tuple of ints", "float")),
    ("repeated-axis", lambda: T(2, 3).sum(axis=(1, -1)), ValueError, ("sum", "repeats")),
    # indices
    ("index-int", lambda: T(2, 3)[5], IndexError, ("getitem", "index 5", "dimension 0", "size 2", r"\(2, 3\)")),
    ("index-int-dim1", lambda: T(2, 3)[0, 7], IndexError, ("getitem", "index 7", "dimension 1", "size 3")),
    ("index-negative", lambda: T(3)[-4], IndexError, ("getitem", "index -4", "size 3")),
    ("index-array", lambda: T(2, 3)[np.array([0, 3])], IndexError, ("getitem", "index 3", "size 2")),
    ("index-float", lambda: T(2, 3)[1.5], IndexError, ("getitem", "float", "ints, slices")),
    ("index-float-array", lambda: T(2, 3)[np.array([0.5])], IndexError, ("getitem", "integers or bools", "float64")),
    ("index-too-many", lambda: T(2, 3)[0, 0, 0], IndexError, ("getitem", "too many indices", r"\(2, 3\)")),
    ("index-mask", lambda: T(2, 3)[np.array([True, False, True])], IndexError,
     ("getitem", "boolean mask", r"\(3,\)", r"\(2,\)")),
    ("index-broadcast", lambda: T(3, 3)[np.array([0, 1]), np.array([0, 1, 2])], IndexError,
     ("getitem", "broadcast", r"\(3, 3\)")),
    ("setitem-index", lambda: T(2, 3, rg=False).__setitem__(5, 1.0), IndexError, ("index 5", "size 2")),
    ("gather-range", lambda: T(2, 3).gather(1, ag.tensor([[0, 3]])), IndexError,
     ("gather", "index 3", "dimension 1", "size 3", r"\(2, 3\)", r"\(1, 2\)")),
    ("gather-negative", lambda: T(2, 3).gather(1, ag.tensor([[-1]])), IndexError,
     ("gather", "index -1", "no negative")),
    ("gather-dtype", lambda: T(2, 3).gather(1, ag.tensor([[0.0]])), DtypeError,
     ("gather", "int32 or int64", "float32", r"\.long\(\)")),
    ("gather-rank", lambda: T(2, 3).gather(1, ag.tensor([0, 1])), ShapeError,
     ("gather", r"\(2,\)", r"\(2, 3\)", "as many dimensions")),
    ("gather-size", lambda: T(2, 3).gather(1, ag.tensor([[0], [0], [0]])), ShapeError,
     ("gather", r"\(3, 1\)", r"\(2, 3\)", "dimension 0")),
    ("gather-dim", lambda: T(2, 3).gather(2, ag.tensor([[0]])), IndexError, ("gather", "dimension 2")),
    ("index_select-range", lambda: T(2, 3).index_select(1, ag.tensor([0, 3])), IndexError,
     ("index_select", "index 3", "dimension 1", "size 3", r"\(2, 3\)")),
    ("index_select-dtype", lambda: T(2, 3).index_select(0, ag.tensor([True])), DtypeError,
     ("index_select", "int32 or int64", "bool")),
    ("index_select-rank", lambda: T(2, 3).index_select(0, ag.tensor([[0]])), IndexError,
     ("index_select", "vector", r"\(1, 1\)")),
    ("cumsum-dim", lambda: T(2, 3).cumsum(2), IndexError, ("cumsum", "dimension 2", "-2 to 1")),
    ("cumsum-dim-type", lambda: T(2, 3).cumsum(1.0), TypeError, ("cumsum", "dim must be an int", "float")),
    ("cumprod-dim", lambda: T(2, 3).cumprod(-3), IndexError, ("cumprod", "dimension -3", "-2 to 1")),
    ("norm-int", lambda: ag.tensor([3, 4]).norm(), DtypeError, ("norm", "int64", "floating", r"\.float\(\)")),
    ("norm-p", lambda: T(2, 3).norm(0), ValueError, ("norm", "positive", "got 0", "nonzeros")),
    ("norm-dim", lambda: T(2, 3).norm(dim=2), IndexError, ("norm", "dimension 2", "-2 to 1")),
    # backward
    ("backward-nonscalar", lambda: (T(2, 3) * 2).backward(), RuntimeError,
     ("scalar outputs", r"\(2, 3\)", "gradient=", r"\.sum\(\)")),
    ("backward-gradient-shape", lambda: (T(2, 3) * 2).backward(ag.ones(3, 2)), RuntimeError,
     ("gradient", r"\(3, 2\)", r"\(2, 3\)")),
    ("backward-no-grad", lambda: T(2, 3, rg=False).sum().backward(), RuntimeError,
     ("does not require grad", "requires_grad=True", "no_grad")),
    ("grad-input-no-grad", lambda: ag.grad((T(2) * 2).sum(), T(2, rg=False)), RuntimeError,
     ("grad", "input 0", "does not require grad")),
]


@case("backward-freed", RuntimeError, "second time", "freed", "retain_graph=True")
def _freed():
    x = T(3)
    y = (x * x).sum()
    y.backward()
    y.backward()  # <- raises


@case("inplace-saved", RuntimeError, "modified by an in-place operation", "`mul`", r"\(3,\)",
      "version 1", r"clone\(\)")
def _inplace_saved():
    x = T(3)
    y = x * 2
    z = (y * y).sum()
    y.mul_(3)  # fine by itself: the mistake shows when backward needs the old y
    z.backward()  # <- raises


@case("inplace-through-view", RuntimeError, "modified by an in-place operation", "`mul`",
      "version", r"clone\(\)")
def _inplace_view():
    x = T(3)
    y = x * 2
    z = y.reshape(3, 1)
    loss = (z * z).sum()       # mul saved z, a view of y's buffer
    with ag.no_grad():
        y.mul_(3)              # changes z's values too
    loss.backward()  # <- raises


@case("inplace-shared-buffer-recording", RuntimeError, "mul_", "shares its memory", r"clone\(\)")
def _inplace_shared():
    x = T(3)
    y = x * 2
    z = y.reshape(3, 1)
    z.mul_(3)  # <- raises


@case("grad-freed", RuntimeError, "second time", "retain_graph=True")
def _grad_freed():
    x = T(3)
    y = (x * x).sum()
    ag.grad(y, x)
    ag.grad(y, x)  # <- raises


@case("inplace-leaf", RuntimeError, "mul_", "leaf tensor that requires grad", "no_grad")
def _inplace_leaf():
    x = T(3)
    x.mul_(2)  # <- raises


@case("grad-unused", RuntimeError, "input 1", r"\(3,\)", "not used", "allow_unused=True")
def _grad_unused():
    x, w = T(3), T(3)
    ag.grad((x * 2).sum(), [x, w])  # <- raises


@case("optimizer-non-leaf", ValueError, "SGD", "non-leaf", r"\(3,\)", "detach")
def _opt_nonleaf():
    x = T(3)
    optim.SGD([x * 2], lr=0.1)  # <- raises


CASES += [
    ("optimizer-empty", lambda: optim.SGD([], lr=0.1), ValueError, ("SGD", "empty parameter list", "parameters()")),
    ("optimizer-empty-generator", lambda: optim.Adam(iter([]), lr=0.1), ValueError, ("Adam", "empty parameter list")),
    ("optimizer-single-tensor", lambda: optim.SGD(T(3), lr=0.1), TypeError, ("SGD", "single tensor", "list")),
    ("optimizer-no-grad-param", lambda: optim.SGD([T(3, rg=False)], lr=0.1), ValueError,
     ("SGD", "does not require grad")),
    ("optimizer-lr", lambda: optim.SGD([T(3)], lr=-1.0), ValueError, ("SGD", "learning rate", "-1")),
    # loss targets
    ("cross-entropy-target-shape", lambda: F.cross_entropy(T(4, 3), ag.tensor([0, 1, 2])), ValueError,
     ("cross_entropy", r"batch_size \(4\)", r"batch_size \(3\)")),
    ("cross-entropy-target-2d", lambda: F.cross_entropy(T(4, 3), ag.tensor([[0], [1], [2], [0]])), ValueError,
     (r"\(4,\)", r"\(4, 1\)")),
    ("cross-entropy-class-range", lambda: F.cross_entropy(T(4, 3), ag.tensor([0, 1, 2, 3])), IndexError,
     ("target 3", "3 classes", "0 to 2", "ignore_index")),
    ("cross-entropy-negative-class", lambda: F.cross_entropy(T(4, 3), ag.tensor([0, 1, 2, -1])), IndexError,
     ("target -1", "3 classes")),
    ("cross-entropy-module", lambda: nn.CrossEntropyLoss()(T(4, 3), ag.tensor([0, 1, 2, 5])), IndexError,
     ("target 5", "3 classes")),
    ("cross-entropy-probabilities-shape", lambda: F.cross_entropy(T(4, 3), T(4, 2, rg=False)), ValueError,
     ("cross_entropy", "probability targets", r"\(4, 3\)", r"\(4, 2\)")),
    ("nll-float-targets", lambda: F.nll_loss(T(4, 3), T(4, rg=False)), TypeError,
     ("nll_loss", "integer class indices", "float32")),
    ("mse-target-shape", lambda: F.mse_loss(T(4, 1), T(4, rg=False)), ShapeError,
     ("mse_loss", r"\(4, 1\)", r"\(4,\)", "reshape")),
    ("bce-logits-target-shape", lambda: F.binary_cross_entropy_with_logits(T(4, 1), T(4, rg=False)), ShapeError,
     ("binary_cross_entropy_with_logits", r"\(4, 1\)", r"\(4,\)")),
    ("bce-not-probabilities", lambda: F.binary_cross_entropy(T(4) * 9, T(4, rg=False)), InvalidArgumentError,
     ("binary_cross_entropy", "probabilities", "with_logits")),
]


# hostile input (issue 17): PyTorch's classes, messages naming the function called
CASES += [
    ("chunk-zero", lambda: ag.chunk(T(3), 0), InvalidArgumentError, ("chunk", "greater than 0")),
    ("arange-zero-step", lambda: ag.arange(0, 3, 0), InvalidArgumentError, ("arange", "nonzero")),
    ("negative-size", lambda: ag.ones(2, -1), InvalidArgumentError, ("ones", "negative dimension -1")),
    ("layer-negative-size", lambda: nn.Conv2d(3, -5, 3), InvalidArgumentError, ("Conv2d", "out_channels", "-5")),
    ("size-tensor", lambda: ag.ones(ag.zeros(0, 3)), TypeError, ("ones", "tuple of ints", "tensor")),
    ("ragged-list", lambda: ag.tensor([[1, 2], [3]]), ValueError, ("tensor", "length 2 at dim 1")),
    ("dim-type", lambda: T(2, 3).transpose(None, 1), TypeError, ("transpose", "dim must be an int", "None")),
    ("dim-0d", lambda: ag.tensor(1.0).sum(1), IndexError, ("sum", "dimension 1", "valid: -1 to 0")),
    ("permute-dim", lambda: T(3).permute(5), IndexError, ("permute", "dimension 5")),
    ("dtype-unsupported", lambda: T(2).to("complex64"), DtypeError, ("does not support", "complex64")),
    ("huge-allocation", lambda: ag.zeros(10 ** 6, 10 ** 6), OutOfMemoryError, ("zeros", r"\(1000000, 1000000\)", "GiB")),
    ("item-several", lambda: T(2).item(), InvalidArgumentError, ("item", "one-element", r"\(2,\)")),
    ("max-empty", lambda: ag.ones(0).max(), InvalidArgumentError, ("max", "empty", "dim")),
    ("activation-int", lambda: ag.softplus(ag.tensor([1, 2, -4])), DtypeError, ("softplus", "int64", "float")),
    ("one-hot-negative", lambda: F.one_hot(ag.tensor([-1, 0]), 3), InvalidArgumentError, ("one_hot", "non-negative")),
    ("linear-module-shape", lambda: nn.Linear(3, 2)(T(2, 4)), ShapeError, ("Linear", "4 features", "expected 3")),
    ("floordiv-shape", lambda: T(2, 3) // T(4, 3), ShapeError, ("^floor_divide", "broadcast")),
    ("std-dim", lambda: T(2, 3).std(dim=5), IndexError, ("^std", "dimension 5")),
    ("optimizer-betas", lambda: optim.Adam([T(3)], betas=(1.5, 0.9)), ValueError, ("Adam", "beta", "1.5")),
]


@case("load-state-dict-shape", RuntimeError, "size mismatch for weight", r"\(3, 3\)", r"\(3, 2\)")
def _lsd_shape():
    m = nn.Linear(2, 3)
    m.load_state_dict(nn.Linear(3, 3).state_dict())  # <- raises


@case("load-state-dict-missing", RuntimeError, r"missing keys \['bias'\]", "strict=False")
def _lsd_missing():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    del sd["bias"]
    m.load_state_dict(sd)  # <- raises


@case("load-state-dict-unexpected", RuntimeError, r"unexpected keys \['extra'\]", "strict=False")
def _lsd_unexpected():
    m = nn.Linear(2, 3)
    sd = m.state_dict()
    sd["extra"] = np.zeros(2)
    m.load_state_dict(sd)  # <- raises


@case("optimizer-load-state-dict-groups", ValueError, "SGD.load_state_dict", "different parameter groups")
def _opt_lsd_groups():
    o = optim.SGD(nn.Linear(2, 3).parameters(), lr=0.1)
    sd = optim.SGD(nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 3)).parameters(), lr=0.1).state_dict()
    o.load_state_dict(sd)  # <- raises


@case("optimizer-load-state-dict-shape", ValueError, "SGD.load_state_dict", "momentum_buffer|state",
      r"\(3, 3\)", r"\(3, 2\)", "different model")
def _opt_lsd_shape():
    def trained(n_in):
        m = nn.Linear(n_in, 3)
        o = optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        m(ag.ones(1, n_in)).sum().backward()
        o.step()
        return o
    o = trained(2)
    o.load_state_dict(trained(3).state_dict())  # <- raises


@case("optimizer-load-state-dict-type", ValueError, "load_state_dict", "state_dict()", "list")
def _opt_lsd_type():
    o = optim.SGD(nn.Linear(2, 3).parameters(), lr=0.1)
    o.load_state_dict([1, 2])  # <- raises


# --------------------------------------------------------------------------- checks
def _last_user_frame(exc: BaseException):
    frames = [fs for fs in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(fs.filename).startswith(LIB_DIRS)]
    return frames[-1] if frames else None


@pytest.mark.parametrize("cid,fn,cls,words", CASES, ids=[c[0] for c in CASES])
def test_error(cid, fn, cls, words):
    with pytest.raises(Exception) as info:
        fn()
    exc = info.value
    assert isinstance(exc, cls), f"{cid}: expected {cls.__name__}, got {type(exc).__name__}: {exc}"
    # PyTorch's class too: shape and dtype mistakes are RuntimeErrors there
    if cls in (ShapeError, DtypeError):
        assert isinstance(exc, RuntimeError)
    msg = str(exc)
    for w in words:
        assert re.search(w, msg), f"{cid}: message lacks {w!r}: {msg}"
    # raised from the user's line, not from deep inside NumPy or at a later step
    fs = _last_user_frame(exc)
    assert fs is not None and os.path.abspath(fs.filename) == HERE, (cid, fs)
    code = fn.__code__
    src_lines = open(HERE).read().splitlines()
    if code.co_name == "<lambda>":
        assert fs.lineno == code.co_firstlineno, (cid, fs.lineno, code.co_firstlineno)
    else:
        assert src_lines[fs.lineno - 1].rstrip().endswith("# <- raises"), (cid, fs.line)
    # the library's own frames are the innermost: NumPy did not raise it
    innermost = traceback.extract_tb(exc.__traceback__)[-1]
    assert not os.path.abspath(innermost.filename).startswith(LIB_DIRS[2]), (cid, innermost)


def _doc_table():
    text = open(os.path.join(ROOT, "docs", "errors.md")).read()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())]
        if len(cells) == 6 and re.fullmatch(r"`[a-z0-9_-]+`", cells[1]):
            rows[cells[1].strip("`")] = tuple(cells[2:5])
    return text, rows


def test_docs_table_lists_every_case():
    _, rows = _doc_table()
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert sorted(rows) == sorted(ids), (set(rows) ^ set(ids))
    for cid, fn, cls, words in CASES:
        assert f"`{cls.__name__}`" in rows[cid][1], (cid, rows[cid][1])


def test_numpy_on_the_left_gives_a_tensor():
    """``ndarray op Tensor`` must defer to the Tensor (``__array_ufunc__ = None``), not
    build an object array of 0-d Tensors; the result keeps the graph."""
    a = np.full(3, 2.0, dtype=np.float32)
    x = T(3)
    for out in (a + x, a - x, a * x, a / x, a ** x, np.ones((3, 3), np.float32) @ x,
                np.float64(2.0) * x, np.float32(1.0) - x):
        assert type(out) is ag.Tensor and out.dtype == np.float32 and out.grad_fn is not None
    for out in (a > x, a == x, a <= x):
        assert type(out) is ag.Tensor and out.dtype == np.bool_
    (a * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), a)


def test_where_double_where_rule():
    """The rule documented in docs/errors.md: the unselected branch gets an exact zero
    gradient, but its NaN/Inf still poisons ``0 * inf`` products inside that branch's
    own vjp (as in PyTorch); the double-where form keeps it out."""
    x = ag.tensor([-1.0, 4.0], requires_grad=True, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ag.where(x > 0, ag.sqrt(x), 0.0).sum().backward()
    assert np.isnan(x.grad.data.numpy()[0]) and x.grad.data.numpy()[1] == 0.25
    x.grad = None
    ok = x > 0
    ag.where(ok, ag.sqrt(ag.where(ok, x, 1.0)), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [0.0, 0.25])
    # the same for log and division by zero
    x.grad = None
    ag.where(ok, ag.log(ag.where(ok, x, 1.0)), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [0.0, 0.25])
    x.grad = None
    ag.where(ok, 1.0 / ag.where(ok, x, 1.0), 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data.numpy(), [0.0, -1 / 16])
