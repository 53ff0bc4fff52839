"""The record of a fine-tuning run: ``metrics.jsonl`` and, with matplotlib, ``training_curves.png``.

``metrics.jsonl`` holds one JSON object per line, in Hugging Face ``Trainer``'s ``log_history``
shape: after every training step ``{"step", "epoch", "loss", "learning_rate"}`` (``epoch``
counting fractions, ``learning_rate`` the rate that step used) and after every evaluation
``{"step", "epoch", "eval_loss", "eval_accuracy"}``. Each line is flushed as it is written, so
``tail -f`` follows a run. The picture plots the training loss and the evaluation metrics
against the step; matplotlib is optional (``pip install "lucid[plot]"``).
"""

from __future__ import annotations

import json
import math
import os

__all__ = ["MetricsLog", "plot_curves"]


class MetricsLog:
    """Append training and evaluation records to ``path`` (truncated at the start) and keep them.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "metrics.jsonl")
        >>> with MetricsLog(path) as log:
        ...     log.write(step=1, epoch=0.5, loss=0.69, learning_rate=1e-4)
        >>> open(path).read()
        '{"step": 1, "epoch": 0.5, "loss": 0.69, "learning_rate": 0.0001}\\n'
    """

    def __init__(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path, self.records = path, []
        self._file = open(path, "w", encoding="utf-8")

    def write(self, **record) -> None:
        """One record as one line; a non-finite number is written as ``null`` (valid JSON)."""
        record = {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in record.items()}
        self.records.append(record)
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def plot_curves(records, path) -> bool:
    """Plot the training loss (left) and the evaluation loss and accuracy (right) of
    ``records`` against the step into the PNG ``path``; False (nothing written) when
    matplotlib is not installed.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "curves.png")
        >>> done = plot_curves([{"step": 1, "epoch": 1.0, "loss": 0.7, "learning_rate": 1e-3},
        ...                     {"step": 1, "epoch": 1.0, "eval_loss": 0.6, "eval_accuracy": 0.5}], path)
        >>> done == os.path.isfile(path)
        True
    """
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display needed
        from matplotlib import pyplot as plt
    except ImportError:
        return False
    train = [r for r in records if r.get("loss") is not None]
    evals = [r for r in records if "eval_loss" in r]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    left.plot([r["step"] for r in train], [r["loss"] for r in train], color="tab:blue", linewidth=1)
    left.set(title="training loss", xlabel="step", ylabel="loss")
    for key, style in (("eval_loss", "o-"), ("eval_accuracy", "s--")):
        points = [(r["step"], r[key]) for r in evals if r.get(key) is not None]
        if points:
            right.plot(*zip(*points), style, label=key.replace("_", " "))
    right.set(title="evaluation", xlabel="step")
    if evals:
        right.legend()
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
