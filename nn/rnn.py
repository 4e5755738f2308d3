"""Recurrent layers ``RNN``, ``LSTM``, ``GRU`` and their cells, with PyTorch's arguments,
parameter names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), gate order and
initialisation (every parameter ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))).

The layers are composites: a Python loop over time applies the cell per layer and
direction (a ``linear`` of the step's input, one of the hidden state, and the gate
arithmetic), so backpropagation through time is the engine's ordinary backward over
the unrolled graph. Shapes: input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or (L, H_in)
unbatched; states (D * num_layers, N, H) (batch_first does not apply to them).
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import numpy as np

import autograd as ag
from autograd import Tensor

from . import _args as A
from . import init
from .module import Module, Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --------------------------------------------------------------------------- one step
def _rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor], relu: bool):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh); ``xw`` is the input part, precomputed."""
    z = xw + ag.linear(h, w_hh, b_hh)
    return ag.relu(z) if relu else ag.tanh(z)


def _lstm_step(xw: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Optional[Tensor],
               w_hr: Optional[Tensor]):
    """Gates i, f, g, o (PyTorch's order) from (N, 4H) pre-activations:
    c' = f c + i g, h' = o tanh(c') (then h' W_hr^T with a projection)."""
    z = xw + ag.linear(h, w_hh, b_hh)                         # (N, 4H)
    hs = c.shape[-1]
    ifo = ag.sigmoid(z)                                       # one op for the three sigmoids
    i, f, o = ifo[..., :hs], ifo[..., hs:2 * hs], ifo[..., 3 * hs:]
    g = ag.tanh(z[..., 2 * hs:3 * hs])
    c2 = f * c + i * g
    h2 = o * ag.tanh(c2)
    if w_hr is not None:
        h2 = ag.linear(h2, w_hr)
    return h2, c2


def _gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]):
    """Gates r, z, n (PyTorch's order): r, z = sigmoid(x_rz + h_rz),
    n = tanh(x_n + r (h W_hn^T + b_hn)), h' = (1 - z) n + z h = n + z (h - n)."""
    hs = h.shape[-1]
    hw = ag.linear(h, w_hh, b_hh)                             # (N, 3H)
    rz = ag.sigmoid(xw[..., :2 * hs] + hw[..., :2 * hs])
    r, z = rz[..., :hs], rz[..., hs:]
    n = ag.tanh(xw[..., 2 * hs:] + r * hw[..., 2 * hs:])
    return n + z * (h - n)


# --------------------------------------------------------------------------- the layers
def _rnn_args(name: str, mode, input_size, hidden_size, num_layers, bias, batch_first,
              dropout, proj_size) -> None:
    """PyTorch's RNNBase checks, in its order and with its classes."""
    if not A.is_real(dropout) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing the "
                         f"probability of an element being zeroed, got {dropout!r}"[:200])
    for what, v in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{name}: {what} should be of type bool, got {type(v).__name__}")
    for what, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}: {what} should be of type int, got {type(v).__name__}")
        if v <= 0:
            raise ValueError(f"{name}: {what} must be greater than zero, got {v}")
    for what, v in (("num_layers", num_layers), ("proj_size", proj_size)):
        if not A.is_real(v):
            raise TypeError(f"{name}: {what} should be of type int, got {type(v).__name__}")
    if num_layers <= 0:
        raise ValueError(f"{name}: num_layers must be greater than zero, got {num_layers}")
    if proj_size < 0:
        raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable "
                         f"projections, got {proj_size}")
    if proj_size >= hidden_size:
        raise ValueError(f"{name}: proj_size ({proj_size}) has to be smaller than hidden_size "
                         f"({hidden_size})")
    if not isinstance(mode, str) or mode not in _GATES:
        raise ValueError(f"{name}: unrecognized RNN mode {mode!r}; expected one of "
                         f"{list(_GATES)}"[:200])
    if proj_size and mode != "LSTM":
        raise ValueError(f"{name}: proj_size is only supported for LSTM, got {proj_size}")
    A.int_arg(num_layers, "num_layers", name)
    A.int_arg(proj_size, "proj_size", name)


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrent layer behind RNN, LSTM and GRU.

    >>> import autograd as ag, nn
    >>> out, h = nn.RNNBase('GRU', 4, 8)(ag.ones(5, 3, 4))
    >>> out.shape, h.shape
    ((5, 3, 8), (1, 3, 8))
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        _rnn_args(name, mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                  proj_size)
        input_size, hidden_size = int(input_size), int(hidden_size)   # (True is 1, as there)
        num_layers, proj_size = int(num_layers), int(proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        A.device(device, name)
        dt = A.dtype_arg(dtype, name, ag.get_default_dtype())
        g = _GATES[mode] * hidden_size
        real_h = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        A.check_bytes(num_layers * dirs * (g * (max(input_size, real_h * dirs) + real_h + 2)
                                           + proj_size * hidden_size), dt, name)
        self._flat_weights_names: List[str] = []
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_l = input_size if layer == 0 else real_h * dirs
                shapes = [("weight_ih", (g, in_l)), ("weight_hh", (g, real_h))]
                if bias:
                    shapes += [("bias_ih", (g,)), ("bias_hh", (g,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for pname, shape in shapes:
                    setattr(self, pname + sfx, Parameter(np.empty(shape, dtype=dt)))
                    self._flat_weights_names.append(pname + sfx)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), like PyTorch."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for name in self._flat_weights_names:
            init.uniform_(getattr(self, name), -k, k)

    def flatten_parameters(self) -> None:
        """PyTorch compacts cuDNN's weight buffer here; tapegrad keeps no flat buffer, so
        there is nothing to do (kept so torch code calling it runs unchanged)."""

    @property
    def all_weights(self) -> List[List[Parameter]]:
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per]] for i in range(0, len(names), per)]

    def _params(self, layer: int, d: int):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx) if n + sfx in self._parameters else None
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def _check_input(self, x: Tensor) -> None:
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ag.ShapeError(f"{name}: expected input of 2 (unbatched (L, H_in)) or 3 "
                                f"dimensions ({'(N, L, H_in)' if self.batch_first else '(L, N, H_in)'}"
                                f"), got shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ag.ShapeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                                f"{self.input_size}, got {x.shape[-1]} (input shape {tuple(x.shape)})")
        if x.dtype.kind != "f":
            raise TypeError(f"{name}: input must be floating point, got {x.dtype}")

    def _state(self, h, n: int, size: int, batched: bool, what: str, dtype) -> Tensor:
        dirs = 2 if self.bidirectional else 1
        want = (self.num_layers * dirs, n, size) if batched else (self.num_layers * dirs, size)
        if h is None:
            return ag.zeros(self.num_layers * dirs, n, size, dtype=dtype)
        h = ag.as_tensor(h)
        if tuple(h.shape) != want:
            raise ag.ShapeError(f"{type(self).__name__}: expected {what} of shape {want} "
                             f"(num_layers * num_directions, "
                             f"{'N, ' if batched else ''}hidden), got {tuple(h.shape)}")
        return h if batched else h.unsqueeze(1)

    def forward(self, input, hx=None):
        x = ag.as_tensor(input)
        self._check_input(x)
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)                                     # (L, N, H_in)
        n = x.shape[1]
        lstm = self.mode == "LSTM"
        real_h = self.proj_size if self.proj_size > 0 else self.hidden_size
        if lstm:
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0 = self._state(None if hx is None else hx[0], n, real_h, batched, "h_0", x.dtype)
            c0 = self._state(None if hx is None else hx[1], n, self.hidden_size, batched, "c_0",
                             x.dtype)
        else:
            h0 = self._state(hx, n, self.hidden_size, batched, "hx", x.dtype)
            c0 = None
        out, hn, cn = self._run(x, h0, c0)
        if not batched:
            out = out[:, 0]
            hn = hn[:, 0]
            cn = None if cn is None else cn[:, 0]
        elif self.batch_first:
            out = out.transpose(0, 1)
        return (out, (hn, cn)) if lstm else (out, hn)

    def _run(self, x: Tensor, h0: Tensor, c0: Optional[Tensor]):
        """x (L, N, H_in) -> output (L, N, D*H), h_n and c_n (D*layers, N, H).

        The sequence travels between layers as a list of per-step (N, H) tensors: each
        step's input projection is its own small ``linear``, so no step slices a
        (L, N, 4H) tensor (a slice's gradient is a zero array of the whole tensor's size,
        which made backward O(L^2) in memory traffic)."""
        dirs = 2 if self.bidirectional else 1
        hs_out: List[Tensor] = []
        cs_out: List[Tensor] = []
        steps = x.shape[0]
        xs = list(ag.unbind(x, 0)) if steps else []                     # L x (N, H_in)
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._params(layer, d)
                k = layer * dirs + d
                h = h0[k]
                c = None if c0 is None else c0[k]
                ys: List[Optional[Tensor]] = [None] * steps
                order = range(steps - 1, -1, -1) if d else range(steps)
                for t in order:
                    xw = ag.linear(xs[t], w_ih, b_ih)                   # (N, G*H)
                    if self.mode == "LSTM":
                        h, c = _lstm_step(xw, h, c, w_hh, b_hh, w_hr)
                    elif self.mode == "GRU":
                        h = _gru_step(xw, h, w_hh, b_hh)
                    else:
                        h = _rnn_step(xw, h, w_hh, b_hh, self.mode == "RNN_RELU")
                    ys[t] = h
                outs.append(ys)
                hs_out.append(h)
                if c is not None:
                    cs_out.append(c)
            xs = outs[0] if dirs == 1 else [ag.cat([a, b], dim=-1) for a, b in zip(*outs)]
            if self.dropout and self.training and layer < self.num_layers - 1:
                xs = [ag.dropout(v, p=self.dropout, training=True) for v in xs]
        out = (ag.stack(xs, dim=0) if steps else
               ag.zeros(0, x.shape[1], dirs * hs_out[-1].shape[-1], dtype=x.dtype))
        hn = ag.stack(hs_out, dim=0)
        cn = ag.stack(cs_out, dim=0) if cs_out else None
        return out, hn, cn

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        for k, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                           ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, k) != default:
                s += f", {k}={getattr(self, k)}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    >>> import autograd as ag, nn
    >>> out, h = nn.RNN(4, 8, bidirectional=True)(ag.ones(5, 3, 4))
    >>> out.shape, h.shape
    ((5, 3, 16), (2, 3, 8))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None,
                 dtype=None) -> None:
        if not isinstance(nonlinearity, str) or nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {A._desc(nonlinearity)}; select from "
                             f"'tanh' or 'relu'")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n)). Gates i, f, g, o.

    >>> import autograd as ag, nn
    >>> out, (h, c) = nn.LSTM(4, 8, batch_first=True)(ag.ones(3, 5, 4))
    >>> out.shape, h.shape, c.shape
    ((3, 5, 8), (1, 3, 8), (1, 3, 8))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit. Gates r, z, n: h' = (1 - z) n + z h.

    >>> import autograd as ag, nn
    >>> out, h = nn.GRU(4, 8, num_layers=2)(ag.ones(5, 3, 4))
    >>> out.shape, h.shape
    ((5, 3, 8), (2, 3, 8))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device=None, dtype=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device=device, dtype=dtype)


# --------------------------------------------------------------------------- cells
class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None,
                 device=None) -> None:
        super().__init__()
        name = type(self).__name__
        input_size = A.size(input_size, "input_size", name)
        hidden_size = A.size(hidden_size, "hidden_size", name)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        A.device(device, name)
        dt = A.dtype_arg(dtype, name, ag.get_default_dtype())
        g = self._gates * hidden_size
        A.check_bytes(g * (input_size + hidden_size + 2), dt, name)
        self.weight_ih = Parameter(A.empty((g, input_size), dt, name))
        self.weight_hh = Parameter(A.empty((g, hidden_size), dt, name))
        if bias:
            self.bias_ih = Parameter(A.empty((g,), dt, name))
            self.bias_hh = Parameter(A.empty((g,), dt, name))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        k = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _prep(self, x, hx):
        x = ag.as_tensor(x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ag.ShapeError(f"{type(self).__name__}: expected input (N, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(x.shape)}")
        batched = x.ndim == 2
        if not batched:
            x = x.unsqueeze(0)
        if hx is None:
            hx = ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        else:
            hx = ag.as_tensor(hx)
            hx = hx if batched else hx.unsqueeze(0)
        return x, hx, batched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_CellBase):
    """One step of RNN: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    >>> import autograd as ag, nn
    >>> nn.RNNCell(4, 8)(ag.ones(3, 4)).shape
    (3, 8)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype, device)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, h, batched = self._prep(input, hx)
        h = _rnn_step(ag.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh,
                      self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h[0]


class LSTMCell(_CellBase):
    """One step of LSTM; returns (h', c').

    >>> import autograd as ag, nn
    >>> h, c = nn.LSTMCell(4, 8)(ag.ones(3, 4))
    >>> h.shape, c.shape
    ((3, 8), (3, 8))
    """
    _gates = 4

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, device)

    def forward(self, input, hx=None):
        x, _, batched = self._prep(input, None)
        if hx is None:
            h = c = ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        else:
            h, c = (ag.as_tensor(t) if batched else ag.as_tensor(t).unsqueeze(0) for t in hx)
        h, c = _lstm_step(ag.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh, None)
        return (h, c) if batched else (h[0], c[0])


class GRUCell(_CellBase):
    """One step of GRU.

    >>> import autograd as ag, nn
    >>> nn.GRUCell(4, 8)(ag.ones(3, 4)).shape
    (3, 8)
    """
    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, device)

    def forward(self, input, hx=None):
        x, h, batched = self._prep(input, hx)
        h = _gru_step(ag.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h[0]
