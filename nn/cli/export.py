"""`tapegrad export --onnx model.onnx --checkpoint CKPT`: a trained checkpoint as an ONNX
model (dynamic batch size), checked against onnxruntime when it is installed.

A classification checkpoint (MLP, digits CNN, ResNet) exports with a float input
``input`` of shape (batch, *features); an addition checkpoint (`tapegrad train --dataset
addition --model transformer|lstm`) with int64 token ids ``tokens`` of shape (batch, 11):
the batch is dynamic, the sequence length is the trained one (the exporter unrolls the
LSTM over its steps, and DecoderLM's positions and causal mask are constants of that
length). The output is ``logits``, (batch, n_classes) or (batch, 11, 12)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .common import DATASETS, MODELS, CLIError, first_line, positive


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `tapegrad export`."""
    p.add_argument("--onnx", type=Path, required=True, metavar="OUT.onnx",
                   help="where to write the ONNX model")
    p.add_argument("--checkpoint", type=Path, required=True, metavar="CKPT",
                   help="a checkpoint written by `tapegrad train` (OUT/checkpoint.safetensors)")
    p.add_argument("--dataset", choices=DATASETS, default=None,
                   help="default: from the run's configuration in the checkpoint (written by "
                        "train; CKPT.json beside older ones)")
    p.add_argument("--model", choices=MODELS, default=None,
                   help="default: from the checkpoint's configuration (or, without one, the "
                        "sequence model its weights are of)")
    p.add_argument("--hidden", type=positive(int, "hidden size"), default=None,
                   help="MLP hidden width, or the sequence model's size as `train --hidden` "
                        "(default: from the checkpoint, else 64)")
    p.add_argument("--opset", type=int, default=None, help="ONNX opset (default 18)")
    p.add_argument("--no-check", action="store_true",
                   help="skip running the exported model in onnxruntime")


def _config(ckpt: Path, tree: Dict[str, Any]) -> Dict[str, Any]:
    """The run's configuration: inside the checkpoint (tapegrad train writes it there), or
    in the sidecar JSON that earlier versions wrote beside it."""
    if isinstance(tree.get("config"), dict):
        return tree["config"]
    meta = ckpt.with_suffix(ckpt.suffix + ".json")
    if not meta.is_file():
        return {}
    try:
        return json.loads(meta.read_text()).get("config", {})
    except (OSError, ValueError):
        return {}


SEQ_MODELS = ("transformer", "lstm")


def _seq_kind(state: Any) -> Optional[str]:
    """The sequence model a state dict is of, from its keys (None: not one of them)."""
    if not isinstance(state, dict) or "tok.weight" not in state:
        return None
    return "transformer" if "pos.weight" in state else "lstm" if "lstm.weight_ih_l0" in state \
        else None


def _seq_hidden(kind: str, state: Dict[str, Any]) -> Optional[int]:
    """`train --hidden` of a sequence model's state dict: DecoderLM's d_model, or half the
    LSTM's hidden size (build_seq_model's sizes); None when the keys are missing."""
    try:
        if kind == "transformer":
            return int(np.shape(state["tok.weight"])[1])
        return int(np.shape(state["head.weight"])[1]) // 2 or None
    except (KeyError, IndexError, TypeError):
        return None


def _load(model: Any, state: Any, ckpt: Path, kind: str, dataset: str) -> None:
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError, TypeError) as e:
        raise CLIError(f"checkpoint {ckpt} does not fit --model {kind} on {dataset}: "
                       f"{first_line(e)}") from None
    model.eval()


def _classifier(args: argparse.Namespace, cfg: Dict[str, Any], state: Any,
                dataset: Optional[str], kind: Optional[str]) -> Tuple[Any, ...]:
    """(model, traced input, check batch, input name, what the message says, what the
    check ran on) for a classification checkpoint."""
    from .data import load_dataset
    from .models import build_model

    dataset = dataset or "digits"
    kind = kind or ("cnn" if dataset == "digits" else "mlp")
    hidden = args.hidden or int(cfg.get("hidden", 64))
    X, _, n_classes, in_shape = load_dataset(dataset, int(cfg.get("seed", 0)))
    model = build_model(kind, tuple(in_shape), n_classes, 0.0, hidden)
    _load(model, state, args.checkpoint, kind, dataset)
    what = f"{kind} on {dataset}, input (batch, {', '.join(map(str, in_shape))})"
    return model, X[:2], X[:64], "input", what, f"{min(64, len(X))} inputs"


def _sequence(args: argparse.Namespace, cfg: Dict[str, Any], state: Any,
              dataset: Optional[str], kind: Optional[str]) -> Tuple[Any, ...]:
    """As :func:`_classifier` for an addition checkpoint: the model train_seq builds, traced
    on two training rows and checked on the run's first 64 held-out test problems."""
    from nn.addition import Addition, split_rows
    from . import train_seq

    kind = kind or _seq_kind(state) or "transformer"
    if dataset not in (None, "addition"):
        raise CLIError(f"--model {kind} reads token sequences: its checkpoints are of "
                       f"--dataset addition (got --dataset {dataset})")
    if kind not in SEQ_MODELS:
        raise CLIError(f"--dataset addition needs a sequence model: --model transformer or "
                       f"lstm (got --model {kind})")
    hidden = args.hidden or cfg.get("hidden") or _seq_hidden(kind, state) or 64
    model = train_seq.build_seq_model(kind, int(hidden))
    _load(model, state, args.checkpoint, kind, "addition")
    task = Addition(seed=int(cfg.get("seed", 0)), n_val=train_seq.N_VAL,
                    n_test=train_seq.N_TEST)
    example = task.batch(2)[0].astype(np.int64)
    batch = split_rows(task.test[:64])[0].astype(np.int64)
    t = example.shape[1]
    why = (f"the LSTM is unrolled over its {t} steps" if kind == "lstm" else
           f"the positions and causal mask are constants of {t} tokens")
    what = (f"{kind} on addition, input int64 tokens (batch, {t}); the sequence length is "
            f"fixed at the trained {t}: {why}")
    return model, example, batch, "tokens", what, f"{len(batch)} held-out addition problems"


def run(args: argparse.Namespace) -> int:
    import autograd as ag
    import nn

    agonnx = ag.onnx

    if not args.checkpoint.is_file():
        raise CLIError(f"cannot read checkpoint {args.checkpoint}: no such file")
    try:
        ckpt = nn.load(args.checkpoint)
    except Exception as e:  # noqa: BLE001 - any failure is "unreadable"
        raise CLIError(f"cannot read checkpoint {args.checkpoint}: {first_line(e)}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CLIError(f"cannot read checkpoint {args.checkpoint}: not a tapegrad train checkpoint")
    cfg = _config(args.checkpoint, ckpt)
    state = ckpt["model"]
    dataset = args.dataset or cfg.get("dataset")
    kind = args.model or cfg.get("model")
    if dataset is None and kind is None:
        kind = _seq_kind(state)          # an addition checkpoint saved without its config
    sequence = dataset == "addition" or kind in SEQ_MODELS
    model, example, batch, in_name, what, checked = (_sequence if sequence else _classifier)(
        args, cfg, state, dataset, kind)
    try:
        agonnx.export(model, (ag.tensor(example),), str(args.onnx), input_names=[in_name],
                      output_names=["logits"], opset_version=args.opset,
                      dynamic_axes={in_name: {0: "batch"}, "logits": {0: "batch"}})
    except (agonnx.ExportError, ValueError) as e:
        raise CLIError(first_line(e)) from None
    except OSError as e:
        raise CLIError(f"cannot write {args.onnx}: {e.strerror}") from None
    print(f"wrote {args.onnx} ({what}; {args.onnx.stat().st_size} bytes)")
    if args.no_check:
        return 0
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not installed: not checked")
        return 0
    got = ort.InferenceSession(str(args.onnx), providers=["CPUExecutionProvider"]).run(
        None, {in_name: batch})[0]
    with ag.no_grad():
        want = model(ag.tensor(batch)).numpy()
    diff = float(np.max(np.abs(got - want)))
    print(f"onnxruntime on {checked}: max |logits difference| = {diff:.2e}")
    if not diff <= 1e-4:
        print("tapegrad: error: onnxruntime's logits differ from tapegrad's")
        return 1
    return 0
