"""What every subcommand does first: seed the random numbers, check the device, and load
checkpoints with the library's warnings shown as one-line notes."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

import lucid

from .errors import PROG, CLIError
from .progress import log

__all__ = ["start", "loading_notes", "load_pretrained", "open_model"]


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


def load_pretrained(cls, folder, device="cpu", **kwargs):
    """``cls.from_pretrained(folder, **kwargs)`` on ``device``, its warnings shown as notes.

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
    return model.to(device)


def open_model(args, cls):
    """What a prediction command does first: :func:`start`, then the tokenizer and ``cls`` from
    the checkpoint folder ``args.model`` (checked before anything is read), on ``args.device``.

    Example:
        >>> import argparse
        >>> from lucid.models import BERTForMaskedLM
        >>> open_model(argparse.Namespace(seed=0, device="cpu", model="no/such/folder"), BERTForMaskedLM)
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model folder at 'no/such/folder'
    """
    from lucid.models import BERTTokenizerFast
    from lucid.models.bert.checkpoint import check_model_folder

    start(args)
    folder = check_model_folder(args.model)
    return BERTTokenizerFast.from_pretrained(folder), load_pretrained(cls, folder, args.device)
