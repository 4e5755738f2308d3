"""Benchmarks of tapegrad against hand-written NumPy, PyTorch and micrograd.

Run ``python -m benchmarks.run --help`` (or ``make bench`` / ``make bench-quick``); see
``benchmarks/README.md`` for the workloads and the method. This package imports nothing
at import time, so that ``benchmarks.run`` can set thread counts before NumPy loads.
"""
