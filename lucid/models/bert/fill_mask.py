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
from ._batching import EncodedTexts

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


def fill_mask(model, tokenizer, text, top_k=5, device=None, max_length=None, batch_size=32, progress=False):
    """The ``top_k`` most likely tokens for each ``[MASK]`` of ``text`` under the masked-LM
    ``model``, ``batch_size`` texts per forward pass (see
    :meth:`BERTForMaskedLM.fill_mask_from_text`).

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
    texts = EncodedTexts(model, tokenizer, text, None, device, max_length)
    for t, enc in zip(texts.texts_a, texts.encodings):
        if tokenizer.mask_token_id not in enc.ids:
            raise ValueError(f"text has no {tokenizer.mask_token} token to fill: {t!r}")
    k = min(int(top_k), model.config.vocab_size)

    def step(rows):
        enc = texts.inputs(rows)
        ids = enc["input_ids"].numpy()
        at_mask = np.nonzero(ids == tokenizer.mask_token_id)
        sequence_output, _ = model._backbone(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], None,
                                             None)
        b, s, h = sequence_output.shape
        flat = Tensor(at_mask[0] * s + at_mask[1], device=sequence_output.device)
        # the vocabulary projection runs on the masked positions only
        probs = F.softmax(model.cls(sequence_output.reshape(b * s, h)[flat]), axis=-1).numpy()
        masks = [[] for _ in rows]
        for row, col, p in zip(*at_mask, probs):
            masks[row].append((col, p))
        out = []
        for i, found in zip(rows, masks):
            real = np.asarray(texts.encodings[i].ids, dtype=np.int64)
            per_mask = [_candidates(tokenizer, real, col, p, k, len(found) == 1) for col, p in found]
            out.append(per_mask[0] if len(per_mask) == 1 else per_mask)
        return out

    out = texts.run(step, batch_size=batch_size, progress=progress)
    return out[0] if isinstance(text, str) else out
