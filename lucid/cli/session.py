"""What every subcommand does first: seed the random numbers, check the device, check a
checkpoint folder's config and tokenizer before its weights load, and load checkpoints with
the library's warnings shown as one-line notes."""

from __future__ import annotations

import contextlib
import os
import warnings

import numpy as np

import lucid
from lucid.models import BERTTokenizerFast
from lucid.models.bert.checkpoint import check_model_folder, read_config

from .errors import PROG, CLIError
from .progress import log

__all__ = ["start", "loading_notes", "load_pretrained", "model_config", "load_tokenizer", "open_model"]


def start(args) -> np.random.Generator:
    """Seed ``lucid.random`` with ``args.seed``, check that ``args.device`` is usable, and
    return the NumPy generator of the held-out split (batches are shuffled by ``lucid.random``).

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
    """Show the warnings raised inside (e.g. a freshly initialised head) as one-line notes,
    at the end of the block; it yields the list of caught warnings, from which a caller may
    take those it reports itself.

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
        yield caught
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


def model_config(folder, max_length=None):
    """The folder's :class:`~lucid.models.BERTConfig`, once ``max_length`` (``--max-length``, or
    None) fits its ``max_position_embeddings``; read before anything else loads, so a length
    the model cannot take is refused at once.

    Example:
        >>> import tempfile
        >>> from lucid.models import BERTConfig
        >>> folder = tempfile.mkdtemp()
        >>> BERTConfig(vocab_size=30, max_position_embeddings=64).save_pretrained(folder)
        >>> model_config(folder, 100)
        Traceback (most recent call last):
        ...
        lucid.cli.errors.CLIError: --max-length 100 is more than the model takes: max_position_embeddings is 64 in '...'
    """
    config = read_config(folder)
    limit = config.max_position_embeddings
    if max_length is not None and max_length > limit:
        raise CLIError(f"--max-length {max_length} is more than the model takes: max_position_embeddings is "
                       f"{limit} in {os.path.join(folder, 'config.json')!r}")
    return config


def load_tokenizer(folder, config):
    """The tokenizer of ``folder``, checked against the model's ``config``: a wrongly typed
    setting in its files, or a vocabulary with ids the model has no embedding for, is a
    :class:`CLIError` naming the file and the value.

    Example:
        >>> import tempfile
        >>> from lucid.models import BERTConfig, BERTTokenizerFast
        >>> folder = tempfile.mkdtemp()
        >>> _ = BERTTokenizerFast().save_pretrained(folder)
        >>> load_tokenizer(folder, BERTConfig(vocab_size=3))
        Traceback (most recent call last):
        ...
        lucid.cli.errors.CLIError: the tokenizer in '...' has ids up to 4 but the model's config.json has vocab_size 3 ...
    """
    try:
        tokenizer = BERTTokenizerFast.from_pretrained(folder)
    except TypeError as err:  # a JSON value of the wrong type, e.g. "do_lower_case": "yes"
        settings = os.path.join(folder, "tokenizer_config.json")
        where = settings if os.path.isfile(settings) else folder
        raise CLIError(f"{where!r} holds a value of the wrong type: {err}") from None
    top = max(tokenizer.get_vocab().values())
    if top >= config.vocab_size:
        raise CLIError(f"the tokenizer in {folder!r} has ids up to {top} but the model's config.json has vocab_size "
                       f"{config.vocab_size} (ids from {config.vocab_size} on have no embedding): use the tokenizer "
                       "the model was trained with")
    return tokenizer


def open_model(args, cls, head, max_length=None):
    """What a prediction command does first: :func:`start`, then the tokenizer (checked by
    :func:`load_tokenizer`) and ``cls`` from the checkpoint folder ``args.model`` (checked
    before anything is read, with ``max_length`` by :func:`model_config`), on ``args.device``,
    refused when the weights under ``head`` were not trained (unless
    ``args.allow_untrained_head``; see :func:`load_pretrained`).

    Example:
        >>> import argparse
        >>> from lucid.models import BERTForMaskedLM
        >>> open_model(argparse.Namespace(seed=0, device="cpu", model="no/such/folder"), BERTForMaskedLM, "cls.")
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model folder at 'no/such/folder'
    """
    start(args)
    folder = check_model_folder(args.model)
    tokenizer = load_tokenizer(folder, model_config(folder, max_length))
    return tokenizer, load_pretrained(cls, folder, args.device, head=head,
                                      allow_untrained_head=args.allow_untrained_head)
