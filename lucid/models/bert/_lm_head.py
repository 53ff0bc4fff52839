"""What the models with a language-model head share with :class:`~lucid.models.BERTForMaskedLM`.

The pre-training and causal-LM models hold the same head under the same name
(``cls.predictions``, its decoder tied to the word embeddings), so they tie, alias and expose
it through the masked-LM model's own methods: one decision, made in ``masked_lm``.
"""

from __future__ import annotations

from .masked_lm import BERTForMaskedLM

__all__ = ["TiedLMHead"]


class TiedLMHead:
    """Mixin (before :class:`~lucid.models.bert._task.TaskModel` in the bases) for a model whose
    ``cls.predictions`` is the masked-LM head: the saved alias of its bias, the names tied to
    the word embeddings, and the head behind ``get_output_embeddings``.

    Example:
        >>> from lucid.models import BERTConfig, BERTForCausalLM
        >>> model = BERTForCausalLM(BERTConfig.tiny(vocab_size=50, is_decoder=True))
        >>> model.get_output_embeddings() is model.cls.predictions.decoder
        True
    """

    _saved_aliases = BERTForMaskedLM._saved_aliases
    _tied_names = BERTForMaskedLM._tied_names
    _lm_head = BERTForMaskedLM._lm_head
