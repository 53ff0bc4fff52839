"""``lucid-bert embed``: one sentence embedding per text, printed or written to a ``.npy`` file."""

from __future__ import annotations

import json
import os

import numpy as np

from lucid.models import BERTForSentenceEmbedding
from lucid.models.bert.checkpoint import check_model_folder
from lucid.models.bert.hub import resolve_folder

from .errors import CLIError
from .readers import gather_texts
from .session import load_pretrained, load_tokenizer, model_config, start

__all__ = ["run"]


def _folder(model) -> str:
    """A local checkpoint folder, or the snapshot of a Hub repository id that is no local path."""
    folder = resolve_folder(model)
    return check_model_folder(folder)


def run(args) -> int:
    """Print ``text<TAB>v1 v2 ...`` per text (``--json``: one object per line with the text and
    its embedding), or with ``--output F.npy`` write the ``(texts, hidden)`` array there.
    Pooling, normalisation and the maximum length come from the sentence-transformers folder.

    Example:
        >>> from lucid.cli.parser import build_parser
        >>> run(build_parser().parse_args(["embed", "no/such/folder", "a text"]))
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model folder at 'no/such/folder'
    """
    start(args)
    folder = _folder(args.model)
    if args.output and not args.output.endswith(".npy"):
        raise CLIError(f"--output must name a .npy file, got {args.output!r}")
    config = model_config(folder, args.max_length)
    texts = [t for t, _ in gather_texts(args.texts, args.file)]
    tokenizer = load_tokenizer(folder, config)
    model = load_pretrained(BERTForSentenceEmbedding, folder, args.device, head="bert.",
                            allow_untrained_head=args.allow_untrained_head)
    normalize = {"on": True, "off": False}.get(args.normalize)
    vectors = model.encode_from_text(tokenizer, texts, batch_size=args.batch_size, normalize=normalize,
                                     max_length=args.max_length).numpy()
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        np.save(args.output, vectors)
        print(f"wrote {vectors.shape[0]} embeddings of size {vectors.shape[1]} to {args.output}")
        return 0
    for text, v in zip(texts, vectors):
        if args.json:
            print(json.dumps({"text": text, "embedding": [float(x) for x in v]}, ensure_ascii=False))
        else:
            print(text + "\t" + " ".join(f"{x:.6g}" for x in v))
    return 0
