"""`tapegrad export --onnx model.onnx --checkpoint CKPT`: a trained checkpoint as an ONNX
model (dynamic batch size), checked against onnxruntime when it is installed."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Dict

import numpy as np

from .common import DATASETS, MODELS, CLIError, first_line, positive


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `tapegrad export`."""
    p.add_argument("--onnx", type=Path, required=True, metavar="OUT.onnx",
                   help="where to write the ONNX model")
    p.add_argument("--checkpoint", type=Path, required=True, metavar="CKPT",
                   help="a checkpoint written by `tapegrad train` (OUT/checkpoint.safetensors)")
    p.add_argument("--dataset", choices=DATASETS, default=None,
                   help="default: from the checkpoint's CKPT.json (written by train)")
    p.add_argument("--model", choices=MODELS, default=None,
                   help="default: from the checkpoint's CKPT.json")
    p.add_argument("--hidden", type=positive(int, "hidden size"), default=None,
                   help="MLP hidden width (default: from CKPT.json, else 64)")
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


def run(args: argparse.Namespace) -> int:
    import autograd as ag
    import nn

    agonnx = ag.onnx

    from .data import load_dataset
    from .models import build_model

    if not args.checkpoint.is_file():
        raise CLIError(f"cannot read checkpoint {args.checkpoint}: no such file")
    try:
        ckpt = nn.load(args.checkpoint)
    except Exception as e:  # noqa: BLE001 - any failure is "unreadable"
        raise CLIError(f"cannot read checkpoint {args.checkpoint}: {first_line(e)}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise CLIError(f"cannot read checkpoint {args.checkpoint}: not a tapegrad train checkpoint")
    cfg = _config(args.checkpoint, ckpt)
    dataset = args.dataset or cfg.get("dataset") or "digits"
    kind = args.model or cfg.get("model") or ("cnn" if dataset == "digits" else "mlp")
    hidden = args.hidden or int(cfg.get("hidden", 64))
    X, _, n_classes, in_shape = load_dataset(dataset, int(cfg.get("seed", 0)))
    model = build_model(kind, tuple(in_shape), n_classes, 0.0, hidden)
    try:
        model.load_state_dict(ckpt["model"])
    except (KeyError, ValueError, RuntimeError, TypeError) as e:
        raise CLIError(f"checkpoint {args.checkpoint} does not fit --model {kind} on {dataset}: "
                       f"{first_line(e)}") from None
    model.eval()
    example = ag.tensor(X[:2])
    try:
        agonnx.export(model, (example,), str(args.onnx), input_names=["input"],
                      output_names=["logits"], opset_version=args.opset,
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    except (agonnx.ExportError, ValueError) as e:
        raise CLIError(first_line(e)) from None
    except OSError as e:
        raise CLIError(f"cannot write {args.onnx}: {e.strerror}") from None
    print(f"wrote {args.onnx} ({kind} on {dataset}, input (batch, {', '.join(map(str, in_shape))}), "
          f"{args.onnx.stat().st_size} bytes)")
    if args.no_check:
        return 0
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not installed: not checked")
        return 0
    batch = X[:64]
    got = ort.InferenceSession(str(args.onnx), providers=["CPUExecutionProvider"]).run(
        None, {"input": batch})[0]
    with ag.no_grad():
        want = model(ag.tensor(batch)).numpy()
    diff = float(np.max(np.abs(got - want)))
    print(f"onnxruntime on {len(batch)} inputs: max |logits difference| = {diff:.2e}")
    if not diff <= 1e-4:
        print("tapegrad: error: onnxruntime's logits differ from tapegrad's")
        return 1
    return 0
