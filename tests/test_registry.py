"""The registry is the only list of ops: every surface is derived from its tables, and
the structure the core redesign promised (one-way imports, no backend branches) holds.

What is checked against the tables (``autograd.registry``): the public names of
``autograd``, the Tensor methods and operators, the two vjp backends, shared/API.md's
op list and docs/ops.md (the generated inventory). The samples' completeness (every
op has samples) is tests/test_ops_generic.py's job. Also here: the bytecode analysis
``_inputs_read`` that the in-place version checks rely on, and custom Functions calling
the user's backward once per node visit.
"""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from autograd import registry
from autograd.registry import COMPOSITES, METHODS, NP, OPS, PUBLIC, TG, _inputs_read
from autograd.tensor import OpMethods, Tensor

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "autograd"


# --------------------------------------------------------------------------- the surfaces
def test_public_names_are_the_table():
    """autograd exports exactly the table's op functions (and they are the same objects)."""
    for name, fn in PUBLIC.items():
        assert getattr(ag, name) is fn, name
        assert name in ag.__all__, name
    exported_ops = {n for n in ag.__all__ if getattr(getattr(ag, n), "__module__", "")
                    .startswith("autograd.ops")}
    assert exported_ops <= set(PUBLIC), exported_ops - set(PUBLIC)
    assert len(ag.__all__) == len(set(ag.__all__)), "a name is exported twice"


def test_every_public_op_function_is_documented():
    """Each public op function, wrapper or alias alike, says what it computes: aliases
    share the documented function, and the wrappers (amax, dot, take, ...) that have
    no table entry of their own state which op they reach."""
    undocumented = sorted(n for n, fn in PUBLIC.items() if not (fn.__doc__ or "").strip())
    assert not undocumented, undocumented


def test_methods_are_the_table():
    """Every method and operator an op declares is on Tensor, through OpMethods."""
    assert OpMethods in Tensor.__mro__
    for name, fn in METHODS.items():
        assert getattr(Tensor, name) is fn, name
        assert name in vars(OpMethods), name
    # the op methods come from declarations, not from the class body
    body = set(vars(Tensor))
    assert not (body & set(METHODS)), body & set(METHODS)


def test_method_and_function_forms_are_one_function():
    x = ag.tensor(np.linspace(0.5, 1.5, 6).reshape(2, 3))
    both = sorted(n for n, f in PUBLIC.items() if METHODS.get(n) is f)
    assert len(both) > 50, both
    for name in both:
        assert getattr(x, name).__func__ is PUBLIC[name], name
    np.testing.assert_array_equal(x.exp().data.numpy(), ag.exp(x).data.numpy())
    np.testing.assert_array_equal(x.sum(dim=1).data.numpy(), ag.sum(x, dim=1).data.numpy())


def test_the_two_backends_have_the_same_names():
    assert NP.names() == TG.names()
    assert {"exp", "sum", "sum_to", "getitem", "index_add", "const"} <= NP.names()


# backward primitives declared with defop(backend=True) are checked by their own samples
@pytest.mark.parametrize("name", sorted(n for n in NP.names() if n not in OPS or n in PUBLIC))
def test_tg_functions_record_and_agree_with_np(name):
    """A TG function returns a Tensor whose value is its NP function's on the same data."""
    x = np.linspace(0.3, 1.2, 6).reshape(2, 3)
    calls = {
        "where": ((x > 0.5, x, 0.0), {}), "maximum": ((x, x[::-1].copy()), {}),
        "sum": ((x,), {"axis": (1,), "keepdims": True}), "sum_to": ((x, (1, 3)), {}),
        "reshape": ((x, (3, 2)), {}), "permute": ((x, (1, 0)), {}),
        "swapaxes": ((x, 0, 1), {}), "broadcast_to": ((x[:1], (4, 3)), {}),
        "expand_dims": ((x, 0), {}), "cast": ((x, np.float32), {}),
        "getitem": ((x, (slice(None), np.array([0, 2]))), {}),
        "index_add": ((x, (np.array([1, 0]),), (3, 3)), {}),
        "pad": ((x, ((1, 0), (0, 2))), {}), "concatenate": (([x, x], 0), {}),
        "matmul": ((x, x.T.copy()), {}), "const": ((2.0, x), {}),
        "unfold": ((x.reshape(1, 1, 2, 3), (2, 2), (1, 1), (1, 1)), {}),
        "fold": ((np.ones((1, 1, 2, 2, 1, 2)), (1, 1, 2, 3), (2, 2), (1, 1), (1, 1)), {}),
    }
    args, kw = calls.get(name, ((x,), {}))
    want = getattr(NP, name)(*args, **kw)
    targs = tuple(ag.tensor(a) if isinstance(a, np.ndarray) else
                  [ag.tensor(v) for v in a] if isinstance(a, list) else a for a in args)
    got = getattr(TG, name)(*targs, **kw)
    assert isinstance(got, Tensor), name
    np.testing.assert_allclose(got.data.numpy(), np.asarray(want), rtol=1e-6)


API_MD = ROOT.parent / "shared" / "API.md"


def _api_md_ops():
    """The op names of shared/API.md's 'Operators and ops' paragraph."""
    text = API_MD.read_text()
    para = text[text.index("Operators and ops"):text.index("Graph and modes")]
    words = []
    for span in re.findall(r"`([^`]+)`", para):
        for w in re.split(r"[\s/]+", span):
            if re.fullmatch(r"[a-z_][a-z0-9_]*", w):
                words.append(w)
    return sorted(set(words) - {"axis", "dim", "keepdim", "keepdims"})  # argument names


def test_api_md_ops_are_in_the_table():
    """shared/API.md promises these ops, in function and (where PyTorch has one) method form."""
    assert API_MD.is_file(), f"{API_MD} is missing: CI lays shared/ beside the checkout"
    names = _api_md_ops()
    assert len(names) > 40, names
    missing = [n for n in names if n not in PUBLIC]
    assert not missing, f"API.md names without a public op: {missing}"
    no_method = {"cat", "concatenate", "stack", "conv2d", "max_pool2d", "avg_pool2d", "where"}
    missing_m = [n for n in names if n not in no_method and n not in METHODS]
    assert not missing_m, f"API.md ops without a Tensor method: {missing_m}"


def test_docs_inventory_is_generated_from_the_table():
    from autograd.testing.inventory import inventory

    text = inventory()
    for name in list(OPS) + list(COMPOSITES):
        assert f"| `{name}` |" in text
    committed = (ROOT / "docs" / "ops.md").read_text()
    assert committed == text, ("docs/ops.md is stale: regenerate it with "
                               "`python -m autograd.testing.inventory > docs/ops.md`")


# --------------------------------------------------------------------------- structure
def _imports(path: Path):
    tree = ast.parse(path.read_text())
    return tree, [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_tensor_imports_nothing_from_ops_and_nothing_at_its_end():
    tree, imports = _imports(PKG / "tensor.py")
    for node in imports:
        mod = getattr(node, "module", None) or ""
        names = [a.name for a in node.names]
        assert "ops" not in mod.split(".") and not any("ops" in n for n in names), ast.dump(node)
        assert node in tree.body[:12], f"tensor.py imports at line {node.lineno}"


def test_init_is_imports_and_all_only():
    tree = ast.parse((PKG / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        assert isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["__all__"], \
            f"autograd/__init__.py line {node.lineno} is neither an import nor __all__"


def test_imports_are_one_way():
    """The core layers import only downwards: tape <- storage <- tensor <- registry <- ops
    (``_checks``, NumPy and errors only, sits below tensor)."""
    layers = ["devices", "tape", "errors", "_checks", "storage", "tensor", "registry"]
    for k, mod in enumerate(layers):
        _, imports = _imports(PKG / f"{mod}.py")
        for node in imports:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                target = (node.module or "").split(".")[0]
                assert target in layers[:k], f"{mod}.py imports .{target}"


def test_no_vjp_tests_its_backend():
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in PKG.rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if "is_tensor" in line
            and p.name != "surface.py"]  # (torch.is_tensor, a public function, lives there)
    assert not hits, hits


def test_no_file_over_600_lines():
    big = [f"{p.relative_to(ROOT)}: {n}" for d in ("autograd", "nn") for p in (ROOT / d).rglob("*.py")
           if (n := len(p.read_text().splitlines())) > 600]
    assert not big, big


def test_declaring_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        registry.defop("add", lambda x, y: x + y, (None, None))
    with pytest.raises(ValueError, match="already declared"):
        registry.method("exp", lambda self: self)
    with pytest.raises(ValueError, match="already declared"):
        registry.backend("exp", np.exp, ag.exp)


def test_missing_backend_function_says_where_to_declare_it():
    with pytest.raises(AttributeError, match="registry.backend"):
        NP.no_such_function


# --------------------------------------------------------------------------- _inputs_read
def test_inputs_read_a_vjp_that_reads_an_input():
    assert _inputs_read((lambda F, g, out, x, y: g * y, lambda F, g, out, x, y: g * x)) == \
        (frozenset({1}), frozenset({0}))


def test_inputs_read_a_vjp_that_reads_none():
    assert _inputs_read((lambda F, g, out, x, y: g, lambda F, g, out, x, y: -g)) == \
        (frozenset(), frozenset())
    assert _inputs_read((None, lambda F, g, out, c, x: F.where(c, g, 0.0))) == \
        (frozenset(), frozenset({0}))


def test_inputs_read_looks_into_closures():
    def vjp(F, g, out, x, y):
        def inner():
            return g * y       # y is read only inside the nested function
        return inner()

    assert _inputs_read((vjp, None)) == (frozenset({1}), frozenset())


def test_inputs_read_gives_up_safely_on_partials_and_varargs():
    def base(scale, F, g, out, x):
        return g * x * scale

    assert _inputs_read((functools.partial(base, 2.0),)) is None
    assert _inputs_read((lambda F, g, out, *xs: g,)) is None


def test_inputs_read_drives_the_inplace_check():
    """exp's vjp reads only its output, so changing its input in place afterwards is
    fine; mul's reads the other input, so changing that one must be refused."""
    assert OPS["exp"].reads == (frozenset(),)
    assert OPS["mul"].reads == (frozenset({1}), frozenset({0}))
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1.0
    y = a.exp()
    with ag.no_grad():
        a.add_(1.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    b = x * 1.0
    z = b * b.detach()
    with ag.no_grad():
        b.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


# --------------------------------------------------------------------------- Functions
class _Counted(ag.Function):
    calls = 0

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        _Counted.calls += 1
        x, y = ctx.saved_tensors
        return g * y, g * x


def test_function_backward_runs_once_per_node_visit():
    _Counted.calls = 0
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor([3.0, 4.0], requires_grad=True)
    out = _Counted.apply(x, y)
    seed = ag.tensor([1.0, 1.0])
    out.backward(seed, retain_graph=True)
    assert _Counted.calls == 1                   # one call serves both inputs
    out.backward(seed)                           # the very same gradient object again
    assert _Counted.calls == 2                   # ... still a fresh call
    np.testing.assert_allclose(x.grad.data.numpy(), [6.0, 8.0])
    np.testing.assert_allclose(y.grad.data.numpy(), [2.0, 4.0])
