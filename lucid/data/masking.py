"""BERT's masked-LM masking, in one place: the task models' ``create_masked_lm_inputs`` and
:class:`~lucid.data.DataCollatorForLanguageModeling` both call :func:`mask_tokens`.

Example:
    >>> import numpy as np
    >>> masked, labels = mask_tokens(np.array([[5, 6]]), np.array([[True, False]]), 1.0, 4, 10, 1.0, 0.0)
    >>> masked.tolist(), labels.tolist()
    ([[4, 6]], [[5, -100]])
"""

from __future__ import annotations

import numpy as np

from .. import _backend
from ..random import generator

__all__ = ["check_masking_probabilities", "mask_tokens"]


def check_masking_probabilities(mlm_probability, mask_replace_prob, random_replace_prob):
    """Raise ``ValueError`` naming a masking probability outside ``[0, 1]``, or the two
    replacement probabilities when they add up to more than 1.

    Example:
        >>> check_masking_probabilities(0.15, 0.8, 0.1)
        >>> check_masking_probabilities(0.15, 0.8, 0.3)
        Traceback (most recent call last):
        ...
        ValueError: mask_replace_prob + random_replace_prob must be <= 1, got 0.8 + 0.3
    """
    named = (("mlm_probability", mlm_probability), ("mask_replace_prob", mask_replace_prob),
             ("random_replace_prob", random_replace_prob))
    for name, p in named:
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    if mask_replace_prob + random_replace_prob > 1.0:
        raise ValueError(f"mask_replace_prob + random_replace_prob must be <= 1, got {mask_replace_prob!r} + "
                         f"{random_replace_prob!r}")


def mask_tokens(ids, candidate, mlm_probability, mask_token_id, vocab_size, mask_replace_prob=0.8,
                random_replace_prob=0.1, ignore_index=-100):
    """BERT's masking of the int64 id array ``ids`` (NumPy or CuPy): each position where the
    bool array ``candidate`` is True is selected with probability ``mlm_probability``; a
    selected token becomes ``mask_token_id`` with probability ``mask_replace_prob``, a
    uniformly random id in ``[0, vocab_size)`` with ``random_replace_prob``, and stays as it
    is otherwise (BERT's 80/10/10 by default). Randomness comes from
    :func:`lucid.random.generator` of the arrays' device.

    Returns:
        ``(masked_ids, labels)`` arrays: labels hold the original id at selected positions
        and ``ignore_index`` elsewhere.

    Raises:
        ValueError: naming a probability outside ``[0, 1]``, or the two replacement
            probabilities when they add up to more than 1.

    Example:
        >>> import numpy as np
        >>> masked, labels = mask_tokens(np.array([[5, 6, 7]]), np.array([[False, True, True]]), 1.0, 4, 10)
        >>> labels.tolist()
        [[-100, 6, 7]]
        >>> mask_tokens(np.array([[5, 6]]), np.array([[True, True]]), 1.0, 4, 10, 1.0, 0.0)[0].tolist()
        [[4, 4]]
    """
    check_masking_probabilities(mlm_probability, mask_replace_prob, random_replace_prob)
    xp = _backend.xp_of(ids)
    gen = generator(_backend.device_of(ids))
    selected = candidate & (gen.random(ids.shape) < mlm_probability)
    labels = xp.full(ids.shape, ignore_index, dtype=xp.int64)
    labels[selected] = ids[selected]
    action = gen.random(ids.shape)
    to_mask = selected & (action < mask_replace_prob)
    to_random = selected & (action >= mask_replace_prob) & (action < mask_replace_prob + random_replace_prob)
    random_ids = gen.integers(0, vocab_size, size=ids.shape)
    masked = ids.copy()
    masked[to_mask] = int(mask_token_id)
    masked[to_random] = random_ids[to_random]
    return masked, labels
