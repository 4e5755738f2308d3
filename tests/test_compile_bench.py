"""Issue 11's bit-identity goal on the benchmark workloads: the "tapegrad compiled" rows
(W1-W5, ``benchmarks/compiled.py``) give eager tapegrad's loss, gradients and updated
parameters to the bit, in float32 and float64, step after step (quick sizes)."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.compiled import SYSTEM
from benchmarks.run import workloads


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("key", ["W1", "W2", "W3", "W4", "W5"])
def test_compiled_rows_equal_eager_bitwise(key, dtype):
    wl = workloads(True, lambda k: k == key)[0]
    eager = wl.systems["tapegrad"](np.dtype(dtype))
    comp = wl.systems[SYSTEM](np.dtype(dtype))
    for step in range(4):
        eager.step()
        comp.step()
        a, b = eager.snapshot(), comp.snapshot()
        assert _same(a.loss, b.loss), (key, step)
        assert a.grads.keys() == b.grads.keys() and a.params.keys() == b.params.keys()
        for k in a.grads:
            assert _same(a.grads[k], b.grads[k]), (key, step, k)
        for k in a.params:
            assert _same(a.params[k], b.params[k]), (key, step, k)
    assert comp.dtypes() == eager.dtypes() == {np.dtype(dtype).name}
    sig = comp.fn.signatures()[0]
    assert sig["state"] == "replay" and sig["replays"] >= 4
