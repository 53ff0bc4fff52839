"""BERT's WordPiece tokenizer: :class:`BERTTokenizerFast`, the one public class, and the modules it
delegates to.

* :mod:`.fast`: the class;
* :mod:`.pipeline`: the Rust pipeline (normalizer, pre-tokenizer, WordPiece, template, decoder);
* :mod:`.arguments`: checks of texts, ids and length options;
* :mod:`.truncation`: long text pairs cut ahead of Rust (whose pair truncation is quadratic);
* :mod:`.batches`: batch output as lists or padded ``(B, L)`` tensors;
* :mod:`.training`: deterministic WordPiece vocabulary training;
* :mod:`.files`: tokenizer folders in the Hugging Face and original-Lucid formats.

Example:
    >>> from lucid.models.bert.tokenizer import BERTTokenizerFast
    >>> BERTTokenizerFast().encode("[MASK]")
    [2, 4, 3]
"""

from .fast import BERTTokenizerFast

__all__ = ["BERTTokenizerFast"]
