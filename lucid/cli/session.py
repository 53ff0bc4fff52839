"""What every subcommand does first: seed the random numbers, check the device, and load
checkpoints with the library's warnings shown as one-line notes."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

import lucid

from .errors import PROG, CLIError
from .progress import log

__all__ = ["start", "loading_notes", "load_pretrained"]


def start(args) -> np.random.Generator:
    """Seed ``lucid.random`` with ``args.seed``, check that ``args.device`` is usable, and
    return the NumPy generator that orders the examples (shuffling, held-out splits).

    Example:
        >>> import argparse
        >>> rng = start(argparse.Namespace(seed=0, device="cpu"))
        >>> rng.permutation(3).tolist()
        [2, 0, 1]
    """
    lucid.random.seed(args.seed)
    if args.device == "gpu" and not lucid.gpu_available():
        raise CLIError("--device gpu needs CuPy and a CUDA GPU, and none was found "
                       "(install the CuPy wheel for your CUDA version, e.g. pip install 'lucid[gpu]')")
    return np.random.default_rng(args.seed)


@contextlib.contextmanager
def loading_notes():
    """Show the warnings raised inside (e.g. a freshly initialised head) as one-line notes.

    Example:
        >>> import contextlib, io, warnings
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err), loading_notes():
        ...     warnings.warn("weights not in the checkpoint, newly initialised: ['classifier.bias']")
        >>> err.getvalue()
        "lucid-bert: note: weights not in the checkpoint, newly initialised: ['classifier.bias']\\n"
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        log(f"{PROG}: note: {str(w.message).strip().splitlines()[0]}")


def load_pretrained(cls, folder, device="cpu", *, head=None, allow_untrained_head=False, **kwargs):
    """``cls.from_pretrained(folder, **kwargs)`` on ``device``, its warnings shown as notes.

    With ``head`` (a parameter-name prefix such as ``"classifier."``), a checkpoint without
    those trained weights is refused (:class:`CLIError`: predictions from a freshly
    initialised head are noise) unless ``allow_untrained_head``.

    Example:
        >>> import tempfile
        >>> from lucid.models import BERTConfig, BERTForMaskedLM
        >>> folder = tempfile.mkdtemp()
        >>> BERTForMaskedLM(BERTConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                            intermediate_size=16, max_position_embeddings=8)).save_pretrained(folder)
        >>> load_pretrained(BERTForMaskedLM, folder).config.vocab_size
        30
    """
    with loading_notes():
        model = cls.from_pretrained(folder, **kwargs)
    missing = [k for k in model.loading_info["missing_keys"] if head and k.startswith(head)]
    if missing and not allow_untrained_head:
        shown = ", ".join(missing[:3]) + (f", ... ({len(missing)} in all)" if len(missing) > 3 else "")
        raise CLIError(f"{folder} has no trained {cls.__name__} head (missing weights: {shown}): "
                       "fine-tune the model first (lucid-bert finetune), or pass --allow-untrained-head to run anyway")
    return model.to(device)
