"""``torch.utils`` for ported scripts: ``autograd.utils.data`` is ``nn.data``
(``DataLoader``, ``Dataset``, ``TensorDataset``), imported on first use (see
``autograd/_lazy.py``)."""
import importlib

__all__ = ["data"]


def __getattr__(name: str):
    if name == "data":
        return importlib.import_module("autograd.utils.data")
    raise AttributeError(f"module 'autograd.utils' has no attribute {name!r}")
