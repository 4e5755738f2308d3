"""tapegrad's nn: modules, layers, losses, initialisers, optimizers, schedules, data
loading and safe checkpoints, built only on autograd's public API (PyTorch's names).

    import nn
    import nn.functional as F
    from nn import optim
"""
# __tapegrad__ (this line marks tapegrad's package: tapegrad/_guard.py looks for it)
# first: check that `autograd` and `nn` are tapegrad's (not another distribution's)
from tapegrad import _guard as _tapegrad_guard  # noqa: F401
from . import data, functional, init, models, utils
from . import optim
from .layers import (AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, BCEWithLogitsLoss, Conv2d,
                     CrossEntropyLoss, Dropout, ELU, Flatten, GELU, HuberLoss, Identity, L1Loss,
                     LeakyReLU, Linear, LogSoftmax, MaxPool2d, MSELoss, NLLLoss, ReLU, Sigmoid,
                     SiLU, Softmax, Softplus, Tanh)
from .module import Module, ModuleList, Parameter, Sequential
from .serialization import CheckpointError, load, save
from .summary import summary
from .utils import EarlyStopping, l1_penalty, l2_penalty

__all__ = [n for n in dir() if not n.startswith("_")]
