"""``lucid-bert fill-mask``: the top-k tokens and their probabilities for each ``[MASK]``."""

from __future__ import annotations

import numpy as np

from lucid.models import BERTForMaskedLM
from lucid.models.bert.checkpoint import check_model_folder

from .errors import CLIError
from .progress import show_progress
from .readers import gather_texts
from .session import load_pretrained, load_tokenizer, loading_notes, model_config, start

__all__ = ["run"]


def run(args) -> int:
    """Print each text, then for each of its masks the ``--top-k`` tokens and probabilities
    (:meth:`~lucid.models.BERTForMaskedLM.fill_mask_from_text`, ``--batch-size`` texts per
    forward pass; see :func:`~lucid.cli.progress.show_progress` for the bar).

    Example:
        >>> from lucid.cli.parser import build_parser
        >>> run(build_parser().parse_args(["fill-mask", "no/such/folder", "a [MASK]"]))
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model folder at 'no/such/folder'
    """
    start(args)
    folder = check_model_folder(args.model)
    config = model_config(folder)
    texts = gather_texts(args.texts, args.file)
    tokenizer = load_tokenizer(folder, config)
    mask_token, mask_id = tokenizer.mask_token, tokenizer.mask_token_id
    model = load_pretrained(BERTForMaskedLM, folder, args.device, head="cls.",
                            allow_untrained_head=args.allow_untrained_head)
    texts = [t for t, _ in texts]
    for text in texts:
        if mask_token not in text:
            raise CLIError(f"text has no {mask_token} token: {text!r}")
    with loading_notes():  # a TruncationWarning (one per call) becomes a note
        results = model.fill_mask_from_text(tokenizer, texts, top_k=args.top_k, batch_size=args.batch_size,
                                            progress=show_progress(args, len(texts)))
    limit = model.config.max_position_embeddings
    for text, masks in zip(texts, results):
        print(text)
        ids = np.array(tokenizer.encode(text, max_length=limit, truncation=True))
        masks = masks if isinstance(masks[0], list) else [masks]  # one mask gives its list itself
        for m, (pos, candidates) in enumerate(zip(np.flatnonzero(ids == mask_id), masks), 1):
            print(f"  {mask_token} {m} (token {pos}):")
            for c in candidates:
                print(f"    {tokenizer.convert_ids_to_tokens(c['token_id']):<16} {c['score']:.4f}")
    return 0
