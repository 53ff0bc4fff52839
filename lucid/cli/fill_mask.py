"""``lucid-bert fill-mask``: the top-k tokens and their probabilities for each ``[MASK]``."""

from __future__ import annotations

import numpy as np

import lucid
from lucid.models import BERTForMaskedLM
from lucid.models.bert.checkpoint import check_model_folder
from lucid.nn import functional as F

from .errors import CLIError
from .readers import gather_texts
from .session import load_pretrained, load_tokenizer, model_config, start

__all__ = ["run"]


def run(args) -> int:
    """Print each text, then for each of its masks the ``--top-k`` tokens and probabilities.

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
    k = min(args.top_k, tokenizer.vocab_size)
    for text, _ in texts:
        if mask_token not in text:
            raise CLIError(f"text has no {mask_token} token: {text!r}")
        ids = tokenizer(text, return_tensor=True, device=args.device)
        with lucid.no_grad():
            probs = F.softmax(model(input_ids=ids.reshape(1, -1)), axis=-1).numpy()[0]
        print(text)
        positions = np.flatnonzero(ids.numpy() == mask_id)
        for m, pos in enumerate(positions, 1):
            top = np.argsort(-probs[pos], kind="stable")[:k]
            tokens = tokenizer.convert_ids_to_tokens([int(t) for t in top])
            print(f"  {mask_token} {m} (token {pos}):")
            for tok, tid in zip(tokens, top):
                print(f"    {tok:<16} {probs[pos, tid]:.4f}")
    return 0
