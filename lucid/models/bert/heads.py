"""Task heads on top of the BERT backbone, named as in Hugging Face checkpoints.

``BERTOnlyMLMHead`` (attribute ``cls`` of the masked-LM model) holds ``predictions``: the
transform (dense + activation + LayerNorm) and the vocabulary decoder, whose weight is the
word-embedding Parameter itself when ``tie_word_embedding`` is set and whose bias is the
head's own ``bias``. ``BERTClassificationHead`` (attribute ``classifier``) is dropout then a
linear layer, stored as ``classifier.weight``/``classifier.bias``. ``BERTOnlyNSPHead`` and
``BERTPreTrainingHeads`` (attribute ``cls`` of the next-sentence and pre-training models) hold
the next-sentence classifier ``seq_relationship``, the latter beside ``predictions``.
"""

from __future__ import annotations

from ... import nn
from ...ops.creation import zeros
from .config import BERTConfig
from .modeling import init_bert_weights

__all__ = [
    "BERTPredictionHeadTransform", "BERTLMPredictionHead", "BERTOnlyMLMHead", "BERTClassificationHead",
    "BERTOnlyNSPHead", "BERTPreTrainingHeads",
]


class BERTPredictionHeadTransform(nn.Module):
    """``LayerNorm(act(dense(h)))``, applied to hidden states before the vocabulary decoder.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> head = BERTPredictionHeadTransform(BERTConfig(hidden_size=8, num_attention_heads=2))
        >>> head(lucid.ones(1, 3, 8)).shape
        (1, 3, 8)
    """

    def __init__(self, config: BERTConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = nn.utils.get_activation_from_name(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states):
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BERTLMPredictionHead(nn.Module):
    """Transform, then scores over the vocabulary: ``decoder(transform(h))``.

    Args:
        config: the model's :class:`BERTConfig`.
        word_embeddings: the backbone's word-embedding Parameter; with
            ``config.tie_word_embedding`` it becomes ``decoder.weight`` (the same object, so
            both uses train one matrix).

    The output bias ``bias`` is the head's own Parameter; ``decoder.bias`` is the same
    object, as in Hugging Face's model.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> head = BERTLMPredictionHead(BERTConfig(vocab_size=30, hidden_size=8, num_attention_heads=2))
        >>> head(lucid.ones(1, 3, 8)).shape
        (1, 3, 30)
    """

    def __init__(self, config: BERTConfig, word_embeddings=None):
        super().__init__()
        self.transform = BERTPredictionHeadTransform(config)
        self.bias = nn.Parameter(zeros(config.vocab_size))
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=True)
        self.apply(lambda m: init_bert_weights(m, config))
        if config.tie_word_embedding and word_embeddings is not None:
            self.tie_to(word_embeddings)
        self.decoder.bias = self.bias

    def tie_to(self, word_embeddings) -> None:
        """Make the decoder's weight the word-embedding Parameter ``word_embeddings`` itself.

        Example:
            >>> from lucid.models import BERTConfig
            >>> import lucid.nn as nn
            >>> head = BERTLMPredictionHead(BERTConfig(vocab_size=30, hidden_size=8, num_attention_heads=2))
            >>> emb = nn.Embedding(30, 8)
            >>> head.tie_to(emb.weight)
            >>> head.decoder.weight is emb.weight
            True
        """
        expected = tuple(self.decoder.weight.shape)
        if tuple(word_embeddings.shape) != expected:
            raise ValueError(f"tied word embeddings of shape {tuple(word_embeddings.shape)} do not fit the "
                             f"decoder's {expected}")
        self.decoder.weight = word_embeddings

    def set_decoder(self, linear) -> None:
        """Make ``linear`` (``hidden_size -> vocab_size``, with a bias) the decoder; its bias becomes
        the head's ``bias``, as in Hugging Face's ``set_output_embeddings``.

        Example:
            >>> from lucid.models import BERTConfig
            >>> import lucid.nn as nn
            >>> head = BERTLMPredictionHead(BERTConfig(vocab_size=30, hidden_size=8, num_attention_heads=2))
            >>> fc = nn.Linear(8, 30)
            >>> head.set_decoder(fc)
            >>> head.decoder is fc, head.bias is fc.bias
            (True, True)
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"the output embeddings must be a lucid.nn.Linear, got {type(linear).__name__}")
        expected = tuple(self.decoder.weight.shape)
        if tuple(linear.weight.shape) != expected or linear.bias is None:
            got = f"a Linear of weight shape {tuple(linear.weight.shape)}"
            if linear.bias is None:
                got += " without a bias"
            raise ValueError(f"the output embeddings must map hidden_size {expected[1]} to vocab_size {expected[0]} "
                             f"with a bias (weight shape {expected}), got {got}")
        self.decoder = linear
        self.bias = linear.bias

    def forward(self, hidden_states):
        return self.decoder(self.transform(hidden_states))


class BERTOnlyMLMHead(nn.Module):
    """The masked-LM head as stored in checkpoints: a wrapper whose ``predictions`` is a
    :class:`BERTLMPredictionHead`.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> BERTOnlyMLMHead(BERTConfig(vocab_size=30, hidden_size=8, num_attention_heads=2))(lucid.ones(1, 2, 8)).shape
        (1, 2, 30)
    """

    def __init__(self, config: BERTConfig, word_embeddings=None):
        super().__init__()
        self.predictions = BERTLMPredictionHead(config, word_embeddings)

    def forward(self, sequence_output):
        return self.predictions(sequence_output)


class BERTClassificationHead(nn.Linear):
    """Dropout then a linear layer from the pooled features to ``num_labels`` logits.

    The dropout probability is ``config.classifier_dropout``, or ``hidden_dropout_prob`` when
    that is None. Being a ``Linear`` itself, its parameters are ``weight`` and ``bias``, as
    Hugging Face's ``classifier``.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> head = BERTClassificationHead(BERTConfig(hidden_size=8, num_attention_heads=2), num_labels=3)
        >>> head(lucid.ones(2, 8)).shape
        (2, 3)
    """

    def __init__(self, config: BERTConfig, num_labels: int = 2):
        super().__init__(config.hidden_size, num_labels)
        p = config.classifier_dropout if config.classifier_dropout is not None else config.hidden_dropout_prob
        self.dropout = nn.Dropout(p)
        init_bert_weights(self, config)

    def forward(self, pooled_output):
        return super().forward(self.dropout(pooled_output))


class BERTOnlyNSPHead(nn.Module):
    """The next-sentence head: ``seq_relationship``, a linear layer from the pooled ``[CLS]``
    features to 2 logits (0: the second segment follows the first, 1: it does not).

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> BERTOnlyNSPHead(BERTConfig(hidden_size=8, num_attention_heads=2))(lucid.ones(3, 8)).shape
        (3, 2)
    """

    def __init__(self, config: BERTConfig):
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)
        init_bert_weights(self.seq_relationship, config)

    def forward(self, pooled_output):
        return self.seq_relationship(pooled_output)


class BERTPreTrainingHeads(nn.Module):
    """Both pre-training heads: ``predictions`` (a :class:`BERTLMPredictionHead`, tied to the
    word embeddings as in the masked-LM model) and ``seq_relationship`` (next sentence).

    ``forward(sequence_output, pooled_output)`` returns ``(prediction_scores,
    seq_relationship_score)``.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> heads = BERTPreTrainingHeads(BERTConfig(vocab_size=30, hidden_size=8, num_attention_heads=2))
        >>> scores, nsp = heads(lucid.ones(1, 4, 8), lucid.ones(1, 8))
        >>> scores.shape, nsp.shape
        ((1, 4, 30), (1, 2))
    """

    def __init__(self, config: BERTConfig, word_embeddings=None):
        super().__init__()
        self.predictions = BERTLMPredictionHead(config, word_embeddings)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)
        init_bert_weights(self.seq_relationship, config)

    def forward(self, sequence_output, pooled_output):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)
