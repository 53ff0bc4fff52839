"""Fill-mask: the top-k tokens for each ``[MASK]`` of a text, as Hugging Face's pipeline gives them.

For each mask the scores are the softmax over the vocabulary at that position; the
``sequence`` is the text's ids with that one mask replaced, decoded (special tokens dropped
when the text has one mask; kept when it has several, so the other masks stay visible, as
the pipeline does).
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...nn import functional as F
from ._task import batch_texts, eval_mode

__all__ = ["fill_mask"]


def _candidates(tokenizer, ids, pos, probs, k, single):
    order = np.argsort(-probs, kind="stable")[:k]
    out = []
    for tid in order.tolist():
        filled = ids.copy()
        filled[pos] = tid
        filled = filled[filled != tokenizer.pad_token_id]
        out.append({"token": tokenizer.decode([tid], skip_special_tokens=False), "token_id": tid,
                    "score": float(probs[tid]), "sequence": tokenizer.decode(filled, skip_special_tokens=single)})
    return out


def fill_mask(model, tokenizer, text, top_k=5, device=None, max_length=None):
    """The ``top_k`` most likely tokens for each ``[MASK]`` of ``text`` under the masked-LM
    ``model`` (see :meth:`BERTForMaskedLM.fill_mask_from_text`).

    Example:
        >>> from lucid.models import BERTConfig, BERTForMaskedLM, BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "movie"])})
        >>> model = BERTForMaskedLM(BERTConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1,
        ...                                    num_attention_heads=2, intermediate_size=16))
        >>> best = fill_mask(model, tok, "a [MASK] movie", top_k=2)
        >>> len(best), sorted(best[0])
        (2, ['score', 'sequence', 'token', 'token_id'])
    """
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise ValueError(f"top_k must be an int >= 1, got {top_k!r}")
    texts, _ = batch_texts(text)
    enc = model._encode(tokenizer, texts, None, device, max_length)
    ids = enc["input_ids"].numpy()
    rows, cols = np.nonzero(ids == tokenizer.mask_token_id)
    for i, t in enumerate(texts):
        if i not in rows:
            raise ValueError(f"text has no {tokenizer.mask_token} token to fill: {t!r}")
    with eval_mode(model):
        sequence_output, _ = model._backbone(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], None,
                                             None)
        b, s, h = sequence_output.shape
        flat = Tensor(rows * s + cols, device=sequence_output.device)
        # the vocabulary projection runs on the masked positions only
        probs = F.softmax(model.cls(sequence_output.reshape(b * s, h)[flat]), axis=-1).numpy()
    k = min(int(top_k), probs.shape[-1])
    results = [[] for _ in texts]
    for row, col, p in zip(rows.tolist(), cols.tolist(), probs):
        results[row].append((col, p))
    out = []
    for i, masks in enumerate(results):
        real = ids[i][enc["attention_mask"].numpy()[i].astype(bool)]
        per_mask = [_candidates(tokenizer, real, col, p, k, len(masks) == 1) for col, p in masks]
        out.append(per_mask[0] if len(per_mask) == 1 else per_mask)
    return out[0] if isinstance(text, str) else out
