"""Each row of docs/conventions.md, pinned."""
import numpy as np
import pytest

import autograd as ag


def g(f, *vals):
    xs = [ag.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in vals]
    out = f(*xs)
    out.sum().backward()
    return [x.grad.data.numpy() for x in xs]


@pytest.mark.parametrize("f, x, expected", [
    (ag.relu, 0.0, 0.0),
    (ag.abs, 0.0, 0.0),
    (lambda t: ag.leaky_relu(t, 0.1), 0.0, 0.1),
    (lambda t: ag.elu(t, 2.0), 0.0, 2.0),
    (lambda t: ag.clamp(t, -1.0, 1.0), -1.0, 1.0),
    (lambda t: ag.clamp(t, -1.0, 1.0), 1.0, 1.0),
    (lambda t: ag.clamp(t, -1.0, 1.0), 1.5, 0.0),
    (ag.sqrt, 0.0, np.inf),
    (ag.log, 0.0, np.inf),
    (ag.sign, 0.3, 0.0),
])
def test_scalar_kinks(f, x, expected):
    with np.errstate(divide="ignore"):
        (gx,) = g(f, x)
    assert gx == expected


def test_maximum_minimum_tie_split():
    ga, gb = g(ag.maximum, [1.0, 2.0], [1.0, 3.0])
    np.testing.assert_array_equal(ga, [0.5, 0.0])
    np.testing.assert_array_equal(gb, [0.5, 1.0])
    ga, gb = g(ag.minimum, [1.0], [1.0])
    assert ga[0] == gb[0] == 0.5


def test_full_max_ties_split_evenly():
    (gx,) = g(lambda t: t.max(), [3.0, 1.0, 3.0, 3.0])
    np.testing.assert_allclose(gx, [1 / 3, 0, 1 / 3, 1 / 3])
    (gx,) = g(lambda t: t.min(), [0.0, 0.0])
    np.testing.assert_allclose(gx, [0.5, 0.5])


def test_max_dim_gives_first_index():
    (gx,) = g(lambda t: t.max(dim=1).values, [[2.0, 5.0, 5.0], [1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(gx, [[0, 1, 0], [1, 0, 0]])
    (gx,) = g(lambda t: t.max(dim=1).indices * 0.0 + t.max(dim=1).values, [[5.0, 5.0]])
    np.testing.assert_array_equal(gx, [[1, 0]])


def test_max_pool_ties_first_in_window():
    x = np.ones((1, 1, 2, 2))
    (gx,) = g(lambda t: ag.max_pool2d(t, 2), x)
    np.testing.assert_array_equal(gx[0, 0], [[1, 0], [0, 0]])


def test_pow_at_zero():
    gx, gy = g(lambda a, b: a ** b, [0.0, 0.0], [0.0, 2.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 0.0])


def test_where_unselected_branch_exact_zero():
    gx, gy = g(lambda a, b: ag.where(a > 0, a * 3, b * 5), [1.0, -1.0], [2.0, 2.0])
    np.testing.assert_array_equal(gx, [3.0, 0.0])
    np.testing.assert_array_equal(gy, [0.0, 5.0])


def test_conventions_match_torch():
    torch = pytest.importorskip("torch")
    cases = [(ag.relu, torch.relu), (ag.abs, torch.abs)]
    for f, tf in cases:
        t = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
        tf(t).sum().backward()
        (gx,) = g(f, [0.0])
        assert gx[0] == t.grad.item()
    a = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    torch.maximum(a, b).sum().backward()
    assert a.grad.item() == 0.5
    t = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    torch.clamp(t, 1.0, 2.0).sum().backward()
    (gx,) = g(lambda x: ag.clamp(x, 1.0, 2.0), [1.0, 1.0])
    np.testing.assert_array_equal(gx, t.grad.numpy())
