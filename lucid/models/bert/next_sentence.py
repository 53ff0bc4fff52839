"""``BERTForNextSentencePrediction``: does the second segment follow the first?

Attribute names follow Hugging Face's ``BertForNextSentencePrediction`` (``bert``, with its
pooler, and ``cls.seq_relationship``), so its checkpoints, and the NSP half of a
``BertForPreTraining`` checkpoint such as the original BERT releases, load by name. Label 0
means ``text_b`` is the text that follows ``text_a``; label 1 means it is a random one.
"""

from __future__ import annotations

from ...nn import functional as F
from ._scoring import check_reduction, class_targets
from ._task import TaskModel, accuracy
from .config import BERTConfig
from .heads import BERTOnlyNSPHead
from .modeling import BERT
from .sequence_classification import BERTForSequenceClassification

__all__ = ["BERTForNextSentencePrediction"]


class BERTForNextSentencePrediction(TaskModel):
    """BERT with the next-sentence head on the pooled ``[CLS]`` features: two logits per
    text pair (0: ``text_b`` follows ``text_a``; 1: it does not).

    Args:
        config: the :class:`BERTConfig`; it must keep ``add_pooling_layer=True`` (the head
            reads the pooled features).

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForNextSentencePrediction
        >>> cfg = BERTConfig.tiny(vocab_size=120, max_position_embeddings=32)
        >>> model = BERTForNextSentencePrediction(cfg)
        >>> ids = lucid.tensor([[101, 7, 102, 8, 9, 102]])
        >>> types = lucid.tensor([[0, 0, 0, 1, 1, 1]])
        >>> model(input_ids=ids, token_type_ids=types).shape
        (1, 2)
        >>> model.get_loss(lucid.tensor([0]), input_ids=ids, token_type_ids=types).shape
        ()
    """

    _hf_architecture = "BertForNextSentencePrediction"
    num_labels = 2  # "is next" and "is random"

    def __init__(self, config: BERTConfig):
        super().__init__(config)
        if not config.add_pooling_layer:
            raise ValueError("BERTForNextSentencePrediction classifies the pooled [CLS] features: "
                             "config.add_pooling_layer must be True, got False")
        self.bert = BERT(config, add_pooling_layer=True)
        self.cls = BERTOnlyNSPHead(config)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """Next-sentence logits of shape ``(batch, 2)``; arguments as in :meth:`BERT.forward`."""
        return self.cls(self.bert.pooled_output(input_ids, attention_mask, token_type_ids, position_ids,
                                                inputs_embeds))

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, *, reduction="mean"):
        """Cross-entropy of the next-sentence logits against ``labels`` (0 = is next, 1 = is
        random): an int, a list or a tensor of shape ``(batch,)`` or ``(batch, 1)``.

        ``reduction``: ``"mean"`` (a scalar), ``"sum"`` or ``None`` (one loss per pair,
        ``(batch,)``).
        """
        check_reduction(reduction)
        logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = class_targets(labels, logits.shape[0], self.num_labels, self.device)
        return F.cross_entropy(logits, labels, reduction=reduction)

    # the argmax and the softmax of the logits, exactly as the sequence classifier gives them
    predict_labels = BERTForSequenceClassification.predict_labels
    predict_proba = BERTForSequenceClassification.predict_proba

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None):
        """Fraction of pairs whose predicted label equals ``labels``, a 0-d float32 tensor."""
        pred = self.predict_labels(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = class_targets(labels, pred.shape[0], self.num_labels, self.device)
        return accuracy(pred.data, labels.data)

    # the text helpers are the sequence classifier's: tokenize the pair(s), spread an int label
    get_loss_from_text = BERTForSequenceClassification.get_loss_from_text
    predict_labels_from_text = BERTForSequenceClassification.predict_labels_from_text
    predict_proba_from_text = BERTForSequenceClassification.predict_proba_from_text
