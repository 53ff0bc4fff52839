"""``BERTForPreTraining``: BERT's two pre-training objectives on one backbone pass.

Attribute names follow Hugging Face's ``BertForPreTraining`` (``bert`` with its pooler,
``cls.predictions`` tied to the word embeddings, ``cls.seq_relationship``), the layout of
the original BERT checkpoints, so they load by name. The masked-LM half scores only the
labelled positions (the vocabulary projection is the costliest matmul); the next-sentence
half reads the pooled ``[CLS]`` features. ``get_loss`` and ``get_accuracy`` compute both from
one forward.
"""

from __future__ import annotations

import math

from ..._tensor import Tensor
from ...nn import functional as F
from ._lm_head import TiedLMHead
from ._scoring import check_reduction, class_targets, labelled_rows, token_loss, token_targets
from ._task import IGNORE_INDEX, TaskModel, accuracy, batch_labels, eval_mode
from .config import BERTConfig
from .heads import BERTPreTrainingHeads
from .masked_lm import BERTForMaskedLM
from .modeling import BERT

__all__ = ["BERTForPreTraining"]


def _check_weights(mlm_weight, nsp_weight):
    for name, w in (("mlm_weight", mlm_weight), ("nsp_weight", nsp_weight)):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {w!r}")


class BERTForPreTraining(TiedLMHead, TaskModel):
    """BERT with the masked-LM and next-sentence heads.

    Args:
        config: the :class:`BERTConfig`; it must keep ``add_pooling_layer=True``. With
            ``config.tie_word_embedding`` the MLM decoder reuses the word-embedding matrix.

    Masking (:meth:`create_masked_lm_inputs`) is the masked-LM model's, with the same
    special-token ids (see :class:`BERTForMaskedLM`). Next-sentence labels: 0 means
    ``text_b`` follows ``text_a``, 1 that it is a random text.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForPreTraining
        >>> cfg = BERTConfig.tiny(vocab_size=120, max_position_embeddings=32)
        >>> model = BERTForPreTraining(cfg)
        >>> ids = lucid.tensor([[101, 7, 8, 102, 9, 10, 102]])
        >>> scores, nsp = model(input_ids=ids)
        >>> scores.shape, nsp.shape
        ((1, 7, 120), (1, 2))
        >>> mlm_labels = lucid.tensor([[-100, 7, -100, -100, -100, 10, -100]])
        >>> model.get_loss(mlm_labels, lucid.tensor([0]), input_ids=ids).shape
        ()
    """

    _hf_architecture = "BertForPreTraining"
    # masking as the masked-LM model masks
    _mask_token_id = BERTForMaskedLM._mask_token_id
    create_masked_lm_inputs = BERTForMaskedLM.create_masked_lm_inputs

    def __init__(self, config: BERTConfig):
        super().__init__(config)
        if not config.add_pooling_layer:
            raise ValueError("BERTForPreTraining's next-sentence head reads the pooled [CLS] features: "
                             "config.add_pooling_layer must be True, got False")
        self.bert = BERT(config, add_pooling_layer=True)
        self.cls = BERTPreTrainingHeads(config, self.bert.embeddings.word_embeddings.weight)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """``(prediction_scores, seq_relationship_score)``: vocabulary logits ``(batch, seq,
        vocab_size)`` and next-sentence logits ``(batch, 2)``; arguments as in :meth:`BERT.forward`."""
        rows, packing = self.bert.hidden_rows(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        if packing is None:
            return self.cls(rows, self.bert.pooler(rows))
        scores, pooled = self.cls(rows, self.bert.pooler(packing.firsts(rows).unsqueeze(1)))  # the MLM head skips padding
        return packing.unpack(scores), pooled

    # ---- one backbone pass, both heads --------------------------------------------------------
    def _scores(self, mlm_labels, nsp_labels, enc, ignore_index):
        """The heads' outputs a loss or metric needs: with ``mlm_labels``, ``(mlm logits at the
        labelled positions, their targets, positions, batch * seq)``; with ``nsp_labels``,
        ``(nsp logits, targets)``. One backbone pass serves both."""
        sequence_output, pooled = self._backbone(*enc)
        mlm = nsp = None
        if mlm_labels is not None:
            targets = token_targets(mlm_labels, sequence_output.shape[:2], self.config.vocab_size, ignore_index,
                                    self.device, "mlm_labels")
            rows, row_targets, positions = labelled_rows(sequence_output, targets, ignore_index)
            mlm = (self.cls.predictions(rows), row_targets, positions, targets.size)
        if nsp_labels is not None:
            nsp = (self.cls.seq_relationship(pooled),
                   class_targets(nsp_labels, pooled.shape[0], 2, self.device, "nsp_labels"))
        return mlm, nsp

    @staticmethod
    def _mlm_loss(mlm, ignore_index, reduction):
        logits, targets, positions, total = mlm
        return token_loss(logits, targets, positions, total, ignore_index, reduction)

    def get_mlm_loss(self, mlm_labels, input_ids=None, attention_mask=None, token_type_ids=None,
                     position_ids=None, inputs_embeds=None, *, ignore_index=IGNORE_INDEX, reduction="mean"):
        """Masked-LM cross-entropy over the positions whose label is not ``ignore_index``.

        Args:
            mlm_labels: ``(batch, seq)`` original ids at masked positions, ``ignore_index``
                elsewhere (as :meth:`create_masked_lm_inputs` returns them).
            reduction: ``"mean"`` (0 when nothing is labelled), ``"sum"``, or ``None`` for the
                ``(batch * seq,)`` per-position losses (0 at ignored positions).
        """
        check_reduction(reduction)
        enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        mlm, _ = self._scores(mlm_labels, None, enc, ignore_index)
        return self._mlm_loss(mlm, ignore_index, reduction)

    def get_nsp_loss(self, nsp_labels, input_ids=None, attention_mask=None, token_type_ids=None,
                     position_ids=None, inputs_embeds=None, *, reduction="mean"):
        """Next-sentence cross-entropy against ``nsp_labels`` (0 = is next, 1 = random), an int,
        list or tensor of shape ``(batch,)`` or ``(batch, 1)``; ``reduction=None`` gives ``(batch,)``."""
        check_reduction(reduction)
        enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        _, (logits, targets) = self._scores(None, nsp_labels, enc, IGNORE_INDEX)
        return F.cross_entropy(logits, targets, reduction=reduction)

    def get_loss(self, mlm_labels, nsp_labels, input_ids=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, *, mlm_weight=1.0, nsp_weight=1.0,
                 ignore_index=IGNORE_INDEX, reduction="mean"):
        """``mlm_weight * mlm_loss + nsp_weight * nsp_loss`` from one forward (Hugging Face's
        pre-training loss when both weights are 1).

        With ``reduction=None`` the result is the tuple ``(mlm_weight * mlm_losses,
        nsp_weight * nsp_losses)`` of shapes ``(batch * seq,)`` and ``(batch,)``, so that their
        sums add up to the ``"sum"`` reduction.
        """
        check_reduction(reduction)
        _check_weights(mlm_weight, nsp_weight)
        enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        mlm, (nsp_logits, nsp_targets) = self._scores(mlm_labels, nsp_labels, enc, ignore_index)
        mlm_loss = self._mlm_loss(mlm, ignore_index, reduction)
        nsp_loss = F.cross_entropy(nsp_logits, nsp_targets, reduction=reduction)
        if reduction is None:
            return mlm_loss * mlm_weight, nsp_loss * nsp_weight
        return mlm_loss * mlm_weight + nsp_loss * nsp_weight

    # ---- predictions and metrics ---------------------------------------------------------------
    def predict_mlm_token_ids(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                              inputs_embeds=None):
        """The most likely token id at every position, ``(batch, seq)`` int64 (eval mode, no graph)."""
        with eval_mode(self):
            sequence_output, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids,
                                                inputs_embeds)
            return self.cls.predictions(sequence_output).argmax(axis=-1)

    def predict_nsp_labels(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                           inputs_embeds=None):
        """The next-sentence label per pair, ``(batch,)`` int64 (eval mode, no graph)."""
        with eval_mode(self):
            _, pooled = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            return self.cls.seq_relationship(pooled).argmax(axis=-1)

    @staticmethod
    def _mlm_accuracy(mlm, ignore_index):
        logits, targets, _, _ = mlm
        t = targets.data
        return accuracy(logits.data.argmax(axis=-1), t, keep=t != ignore_index)

    @staticmethod
    def _nsp_accuracy(nsp):
        logits, targets = nsp
        return accuracy(logits.data.argmax(axis=-1), targets.data)

    def get_mlm_accuracy(self, mlm_labels, input_ids=None, attention_mask=None, token_type_ids=None,
                         position_ids=None, inputs_embeds=None, *, ignore_index=IGNORE_INDEX):
        """Fraction of labelled positions predicted right (0-d float32 tensor; 0 when none is
        labelled). Eval mode, no graph."""
        with eval_mode(self):
            enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            return self._mlm_accuracy(self._scores(mlm_labels, None, enc, ignore_index)[0], ignore_index)

    def get_nsp_accuracy(self, nsp_labels, input_ids=None, attention_mask=None, token_type_ids=None,
                         position_ids=None, inputs_embeds=None):
        """Fraction of pairs whose next-sentence label is predicted right (0-d float32 tensor)."""
        with eval_mode(self):
            enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            return self._nsp_accuracy(self._scores(None, nsp_labels, enc, IGNORE_INDEX)[1])

    def get_accuracy(self, mlm_labels, nsp_labels, input_ids=None, attention_mask=None, token_type_ids=None,
                     position_ids=None, inputs_embeds=None, *, ignore_index=IGNORE_INDEX, mlm_weight=1.0,
                     nsp_weight=1.0):
        """``(mlm_accuracy, nsp_accuracy, weighted)`` from one forward (eval mode, no graph);
        ``weighted = (mlm_weight * mlm_accuracy + nsp_weight * nsp_accuracy) / (mlm_weight +
        nsp_weight)``. Each is a 0-d float32 tensor."""
        _check_weights(mlm_weight, nsp_weight)
        if mlm_weight + nsp_weight == 0:
            raise ValueError("mlm_weight and nsp_weight are both 0: the weighted accuracy needs a positive weight")
        with eval_mode(self):
            enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            mlm, nsp = self._scores(mlm_labels, nsp_labels, enc, ignore_index)
            mlm_acc, nsp_acc = self._mlm_accuracy(mlm, ignore_index), self._nsp_accuracy(nsp)
            weighted = (mlm_acc.data * mlm_weight + nsp_acc.data * nsp_weight) / (mlm_weight + nsp_weight)
            return mlm_acc, nsp_acc, Tensor._wrap(weighted.astype(mlm_acc.dtype))

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, *, nsp_label=0, device=None, mask_token_id=None,
                           mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1,
                           ignore_index=IGNORE_INDEX, reduction="mean", mlm_weight=1.0, nsp_weight=1.0,
                           max_length=None):
        """Tokenize the pair(s), mask them with :meth:`create_masked_lm_inputs` (special tokens
        and padding are never masked) and return :meth:`get_loss`.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            text_a, text_b: the first and second segments (strings, or lists of one length).
            nsp_label: 0 (``text_b`` follows ``text_a``, the default) or 1; one int for every
                pair or one per pair.
            mask_token_id: the ``[MASK]`` id (default: the tokenizer's).
            mlm_probability, mask_replace_prob, random_replace_prob, ignore_index: as in
                :meth:`create_masked_lm_inputs`.
            reduction, mlm_weight, nsp_weight: as in :meth:`get_loss`.
            device: where to run; default the model's device (another one moves the model, with a warning).
            max_length: truncate each pair to this many tokens (default ``config.max_position_embeddings``).

        The texts run as one batch: a loss's graph spans every text until ``backward`` (see
        :ref:`batched-text-inference`).
        """
        enc = self._encode(tokenizer, text_a, text_b, device, max_length, special_tokens_mask=True)
        masked, labels = self.create_masked_lm_inputs(
            enc["input_ids"], enc["attention_mask"], enc["special_tokens_mask"],
            mask_token_id=tokenizer.mask_token_id if mask_token_id is None else mask_token_id,
            mlm_probability=mlm_probability, mask_replace_prob=mask_replace_prob,
            random_replace_prob=random_replace_prob, ignore_index=ignore_index)
        nsp_labels = batch_labels(nsp_label, masked.shape[0], self.device, broadcast=True)
        return self.get_loss(labels, nsp_labels, masked, enc["attention_mask"],
                             enc["token_type_ids"], mlm_weight=mlm_weight, nsp_weight=nsp_weight,
                             ignore_index=ignore_index, reduction=reduction)
