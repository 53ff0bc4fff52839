"""``BERTForSequenceClassification``: the backbone and a classifier on the pooled ``[CLS]``.

Attribute names follow Hugging Face (``bert``, ``classifier``), so ``state_dict()`` keys
equal a Hugging Face checkpoint's. The loss follows Hugging Face's ``problem_type`` rule:
regression (mean squared error), single-label (cross-entropy) or multi-label (binary
cross-entropy on logits) classification.
"""

from __future__ import annotations

import numpy as np

from ...nn import functional as F
from ._batching import EncodedTexts
from ._scoring import class_targets
from ._task import TaskModel, accuracy, batch_labels, eval_mode, reduce_losses
from .checkpoint import label_names
from .config import BERTConfig
from .heads import BERTClassificationHead
from .modeling import BERT

__all__ = ["BERTForSequenceClassification"]

_PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")


class BERTForSequenceClassification(TaskModel):
    """BERT with a classifier on the pooled ``[CLS]`` features.

    Args:
        config: the :class:`BERTConfig`; it must keep ``add_pooling_layer=True``.
        num_labels: number of classes (default 2). With ``num_labels=1`` the loss is the mean
            squared error (regression); floating ``(batch, num_labels)`` labels give the
            multi-label binary cross-entropy; integer labels the cross-entropy (as Hugging Face
            chooses). ``config.extra["problem_type"]`` overrides the choice.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForSequenceClassification
        >>> cfg = BERTConfig(vocab_size=120, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        ...                  intermediate_size=32, max_position_embeddings=32)
        >>> model = BERTForSequenceClassification(cfg, num_labels=3)
        >>> input_ids = lucid.tensor([[101, 7, 8, 102], [101, 9, 102, 0]])
        >>> attention_mask = lucid.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
        >>> model(input_ids=input_ids, attention_mask=attention_mask).shape
        (2, 3)
        >>> model.get_loss(lucid.tensor([0, 2]), input_ids, attention_mask).shape
        ()
        >>> model.get_loss(lucid.tensor([[0], [2]]), input_ids, attention_mask, reduction=None).shape
        (2,)
    """

    _hf_architecture = "BertForSequenceClassification"

    def __init__(self, config: BERTConfig, num_labels: int = 2):
        super().__init__(config)
        if isinstance(num_labels, bool) or not isinstance(num_labels, (int, np.integer)) or num_labels < 1:
            raise ValueError(f"num_labels must be an int >= 1, got {num_labels!r}")
        if not config.add_pooling_layer:
            raise ValueError("BERTForSequenceClassification classifies the pooled [CLS] features: "
                             "config.add_pooling_layer must be True, got False")
        self.num_labels = int(num_labels)
        self.bert = BERT(config, add_pooling_layer=True)
        self.classifier = BERTClassificationHead(config, self.num_labels)

    @classmethod
    def _from_checkpoint_config(cls, config, arrays, num_labels=None):
        if num_labels is None:
            if config.id2label:
                num_labels = len(config.id2label)
            elif "classifier.weight" in arrays:
                num_labels = int(arrays["classifier.weight"].shape[0])
            else:
                num_labels = 2
        return cls(config, num_labels=num_labels)

    def _config_extra(self) -> dict:
        names = label_names(self.config, self.num_labels)
        return {"id2label": {str(i): n for i, n in enumerate(names)}, "label2id": {n: i for i, n in enumerate(names)}}

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """Class logits of shape ``(batch, num_labels)``; arguments as in :meth:`BERT.forward`."""
        return self.classifier(self.bert.pooled_output(input_ids, attention_mask, token_type_ids, position_ids,
                                                       inputs_embeds))

    def _problem_type(self, labels) -> str:
        """``config.extra["problem_type"]``, else Hugging Face's rule from ``num_labels`` and
        the labels' dtype."""
        problem = self.config.extra.get("problem_type")
        if problem is None:
            if self.num_labels == 1:
                return "regression"
            return "single_label_classification" if labels.dtype.kind in "iu" else "multi_label_classification"
        if problem not in _PROBLEM_TYPES:
            raise ValueError(f"unknown problem_type {problem!r} in the config")
        return problem

    def _class_labels(self, labels):
        """Integer class labels ``(batch,)`` or ``(batch, 1)`` as ``(batch,)``, checked."""
        return class_targets(labels, labels.shape[0], self.num_labels, self.device, "class labels")

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, *, reduction="mean"):
        """The classification loss: cross-entropy for integer class labels, mean squared error
        when ``num_labels == 1``, binary cross-entropy with logits for floating multi-label
        targets ``(batch, num_labels)``.

        Args:
            labels: an int, a list or a tensor, one entry per example: ``(batch,)`` or
                ``(batch, 1)``; multi-hot ``(batch, num_labels)`` floats for multi-label.
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds: as in
                :meth:`forward`.
            reduction: ``"mean"`` (a scalar), ``"sum"`` (over the examples) or ``None``: the
                ``(batch,)`` per-example losses (for several outputs per example, each
                example's mean over them, so ``"mean"`` is the mean of this vector).
        """
        logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = batch_labels(labels, logits.shape[0], self.device)
        problem = self._problem_type(labels)
        if problem == "single_label_classification":
            return F.cross_entropy(logits, self._class_labels(labels), reduction=reduction)
        y = labels.astype(logits.dtype)
        if problem == "regression" and self.num_labels == 1:
            losses = F.mse_loss(logits.reshape(-1), y.reshape(-1), reduction=None)
        elif problem == "regression":
            losses = F.mse_loss(logits, y, reduction=None).mean(axis=1)
        else:
            if labels.shape != logits.shape:
                raise ValueError(f"multi-label targets must have shape {logits.shape}, got {labels.shape}")
            losses = F.binary_cross_entropy_with_logits(logits, y, reduction=None).mean(axis=1)
        return reduce_losses(losses, reduction)

    def predict_labels(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                       inputs_embeds=None):
        """The argmax class per example, ``(batch,)`` int64 (eval mode, no graph)."""
        with eval_mode(self):
            return self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds).argmax(axis=-1)

    def predict_proba(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                      inputs_embeds=None):
        """Softmax class probabilities, ``(batch, num_labels)`` (eval mode, no graph)."""
        with eval_mode(self):
            return F.softmax(self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds),
                             axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None):
        """Fraction of examples whose predicted class equals ``labels`` (``(batch,)`` or
        ``(batch, 1)``), a 0-d float32 Tensor.

        Raises:
            ValueError: for a regression model or multi-label targets, which have no class to
                compare.
        """
        pred = self.predict_labels(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = batch_labels(labels, pred.shape[0], self.device)
        problem = self._problem_type(labels)
        if problem != "single_label_classification":
            raise ValueError(f"get_accuracy compares one class per example; a {problem.replace('_', ' ')} "
                             f"problem (labels of dtype {labels.dtype} and shape {labels.shape}) has none")
        return accuracy(pred.data, self._class_labels(labels).data)

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, labels=0, *, device=None, reduction="mean",
                           max_length=None):
        """Tokenize (padding the batch) and return :meth:`get_loss`.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            text_a: one string or a list of strings.
            text_b: second segment(s): a string, or a list as long as ``text_a``.
            labels: a list or a tensor with one label per text, or one int: the label of every
                text (default 0, as the original Lucid).
            device: where to run; default the model's device. Another device moves the model there
                (with a warning). ``"gpu"`` needs CuPy and a CUDA GPU.
            reduction: as in :meth:`get_loss`.
            max_length: truncate each (pair) encoding to this many tokens (default
                ``config.max_position_embeddings``, the longest input the model takes).

        The texts run as one batch: a loss's graph spans every text until ``backward`` (see
        :ref:`batched-text-inference`).
        """
        enc = self._encode(tokenizer, text_a, text_b, device, max_length)
        labels = batch_labels(labels, enc["input_ids"].shape[0], self.device, broadcast=True)
        return self.get_loss(labels, **enc, reduction=reduction)

    def predict_labels_from_text(self, tokenizer, text_a, text_b=None, *, device=None, max_length=None,
                                 batch_size=32, progress=False):
        """Tokenize and return :meth:`predict_labels`, ``(batch,)`` int64, in the order of the texts.

        Arguments as in :meth:`get_loss_from_text`; ``batch_size`` texts run per forward pass,
        longest first, and ``progress=True`` draws a bar (see :ref:`batched-text-inference`).

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> model = BERTForSequenceClassification(BERTConfig.tiny(vocab_size=5), num_labels=3)
            >>> model.predict_labels_from_text(BERTTokenizerFast(), ["[MASK]", "[UNK] [MASK]", ""], batch_size=2).shape
            (3,)
        """
        texts = EncodedTexts(self, tokenizer, text_a, text_b, device, max_length)
        return texts.run(lambda rows: self.predict_labels(**texts.inputs(rows)), batch_size=batch_size,
                         progress=progress)

    def predict_proba_from_text(self, tokenizer, text_a, text_b=None, *, device=None, max_length=None,
                                batch_size=32, progress=False):
        """Tokenize and return :meth:`predict_proba`, ``(batch, num_labels)``, in the order of the
        texts; arguments as in :meth:`predict_labels_from_text`.

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> clf = BERTForSequenceClassification(BERTConfig.tiny(vocab_size=5), num_labels=4)
            >>> clf.predict_proba_from_text(BERTTokenizerFast(), "[MASK]", "[UNK]").shape
            (1, 4)
        """
        texts = EncodedTexts(self, tokenizer, text_a, text_b, device, max_length)
        return texts.run(lambda rows: self.predict_proba(**texts.inputs(rows)), batch_size=batch_size,
                         progress=progress)
