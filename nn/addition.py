"""The ``addition`` task: sums of two 3-digit numbers written as characters.

A problem ``a + b`` is the string ``"aaa+bbb="`` (each operand zero-padded to 3 digits)
followed by the answer's 4 digits *least significant first* (``"123+456="`` then
``"9750"``, 579 reversed and padded): written that way, each answer digit depends only
on the digits seen so far and a carry, the order a person adds in, so a causal model
can learn it in a few thousand steps. :func:`decode` turns an answer back into a number.

    from nn.addition import Addition
    task = Addition(seed=0)
    x, y = task.batch(64)          # (64, 11) inputs, (64, 11) next-token targets
    task.text(x[0])                # '123+456=975' (the input half of a training row)

Tokens: ``0``-``9`` are 0-9, ``+`` is 10, ``=`` is 11 (VOCAB). Rows are 12 tokens; a
model reads the first 11 and predicts the next token at each position; only the 4
answer positions count in the loss (the others are IGNORE, -100).
"""
from __future__ import annotations

from typing import Iterable, List, Optional, Tuple

import numpy as np

__all__ = ["Addition", "VOCAB", "IGNORE", "encode", "decode", "PROMPT_LEN", "ANSWER_LEN"]

VOCAB = "0123456789+="
IGNORE = -100
DIGITS = 3
PROMPT_LEN = 2 * DIGITS + 2       # "aaa+bbb="
ANSWER_LEN = DIGITS + 1           # the sum, reversed, zero-padded
SEQ_LEN = PROMPT_LEN + ANSWER_LEN


def encode(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows of tokens (n, 12): a, '+', b, '=', then the digits of a + b, least significant first."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    p = 10 ** np.arange(DIGITS - 1, -1, -1)                       # most significant first
    da = (a[:, None] // p) % 10
    db = (b[:, None] // p) % 10
    s = a + b
    ds = (s[:, None] // 10 ** np.arange(ANSWER_LEN)) % 10         # least significant first
    n = len(a)
    return np.concatenate([da, np.full((n, 1), 10), db, np.full((n, 1), 11), ds], axis=1)


def decode(answer_tokens: Iterable[int]) -> int:
    """The number an answer (least significant digit first) spells."""
    return int(sum(int(d) * 10 ** i for i, d in enumerate(answer_tokens)))


class Addition:
    """Problems drawn from ``seed``; ``n_val`` and ``n_test`` held-out problems are kept
    apart (no training batch contains them)."""

    def __init__(self, seed: int = 0, n_val: int = 1000, n_test: int = 2000) -> None:
        rng = np.random.default_rng(seed + 31)
        held = rng.choice(10 ** (2 * DIGITS), size=n_val + n_test, replace=False)
        self._held = np.zeros(10 ** (2 * DIGITS), dtype=bool)
        self._held[held] = True
        self.val = encode(held[:n_val] // 10 ** DIGITS, held[:n_val] % 10 ** DIGITS)
        self.test = encode(held[n_val:] // 10 ** DIGITS, held[n_val:] % 10 ** DIGITS)
        self.rng = np.random.default_rng(seed)

    def problems(self, n: int) -> np.ndarray:
        """``n`` training rows (n, 12), none of them a held-out problem."""
        out = np.empty(0, np.int64)
        while len(out) < n:
            k = self.rng.integers(0, 10 ** (2 * DIGITS), size=2 * n)
            out = np.concatenate([out, k[~self._held[k]]])
        k = out[:n]
        return encode(k // 10 ** DIGITS, k % 10 ** DIGITS)

    def batch(self, n: int) -> Tuple[np.ndarray, np.ndarray]:
        """(inputs, targets), each (n, 11): targets are the next tokens at the answer
        positions and IGNORE elsewhere."""
        return split_rows(self.problems(n))

    @staticmethod
    def text(row: Iterable[int]) -> str:
        return "".join(VOCAB[int(t)] for t in row)


def split_rows(rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Rows (n, 12) -> model inputs rows[:, :-1] and targets rows[:, 1:] with the
    non-answer positions set to IGNORE."""
    x = rows[:, :-1].copy()
    y = rows[:, 1:].copy()
    y[:, :PROMPT_LEN - 1] = IGNORE
    return x, y


def generate(model, prompts: np.ndarray, n_new: int = ANSWER_LEN,
             batch_size: int = 1000) -> np.ndarray:
    """Greedy decoding: ``n_new`` tokens after each prompt (n, PROMPT_LEN), (n, n_new).
    The model maps (n, t) tokens to (n, t, vocab) logits and is called without a graph."""
    import autograd as ag

    out: List[np.ndarray] = []
    was = model.training
    model.eval()
    with ag.no_grad():
        for i in range(0, len(prompts), batch_size):
            seq = np.asarray(prompts[i:i + batch_size], np.int64)
            for _ in range(n_new):
                logits = model(seq).detach().numpy()[:, -1]      # (n, vocab)
                seq = np.concatenate([seq, logits.argmax(-1)[:, None]], axis=1)
            out.append(seq[:, prompts.shape[1]:])
    model.train(was)
    return np.concatenate(out) if out else np.zeros((0, n_new), np.int64)


def exact_match(model, rows: np.ndarray) -> Tuple[float, np.ndarray]:
    """(fraction of rows whose generated answer is exactly right, the generated answers)."""
    gen = generate(model, rows[:, :PROMPT_LEN])
    return float((gen == rows[:, PROMPT_LEN:]).all(axis=1).mean()), gen


def show(row_prompt: np.ndarray, answer: np.ndarray, truth: Optional[np.ndarray] = None) -> str:
    """'123+456=579' (the answer in the usual order) with a mark when wrong."""
    p = Addition.text(row_prompt)
    s = f"{p}{decode(answer)}"
    if truth is not None:
        ok = np.array_equal(np.asarray(answer), np.asarray(truth))
        s += "  ok" if ok else f"  wrong (expected {decode(truth)})"
    return s
