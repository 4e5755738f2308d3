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
# issue 13 (nnlayers)
from .containers import ModuleDict, ParameterDict, ParameterList
from .layers_conv import (AdaptiveAvgPool2d, Conv1d, ConvTranspose2d, Upsample,
                          UpsamplingBilinear2d, UpsamplingNearest2d)
from .layers_extra import (CosineEmbeddingLoss, GroupNorm, Hardtanh, KLDivLoss,
                           MarginRankingLoss, Mish, RMSNorm, SmoothL1Loss, Softsign, Unflatten)
from .serialization import CheckpointError, load, load_state_dict_file, save, save_state_dict
from .seqlayers import Embedding, LayerNorm
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell
from .attention import MultiheadAttention
from .transformer import (TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
from .summary import summary
from .utils import EarlyStopping, l1_penalty, l2_penalty

__all__ = [n for n in dir() if not n.startswith("_")]
