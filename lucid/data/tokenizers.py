"""Names shared by tokenizers: :class:`SpecialTokens`, the enum of special-token strings.

The original Lucid's enum held ``UNK``, ``PAD``, ``BOS`` and ``EOS`` (the generic
``[BOS]``/``[EOS]`` strings); code passing those members keeps working. BERT's own five
tokens are here as well (``CLS``, ``SEP``, ``MASK``), so a BERT tokenizer can be set up
with members only. A member's value is the token string.

Example:
    >>> from lucid.data.tokenizers import SpecialTokens
    >>> SpecialTokens.MASK.value, SpecialTokens("[PAD]") is SpecialTokens.PAD
    ('[MASK]', True)
"""

from __future__ import annotations

from enum import Enum

__all__ = ["SpecialTokens"]


class SpecialTokens(Enum):
    """Special-token strings. A tokenizer takes a member wherever it takes a token string and
    stores the member's value.

    Example:
        >>> from lucid.data.tokenizers import SpecialTokens
        >>> [t.value for t in (SpecialTokens.CLS, SpecialTokens.SEP)]
        ['[CLS]', '[SEP]']
    """

    UNK = "[UNK]"
    PAD = "[PAD]"
    BOS = "[BOS]"
    EOS = "[EOS]"
    CLS = "[CLS]"
    SEP = "[SEP]"
    MASK = "[MASK]"
