"""``BERTForCausalLM``: BERT as a left-to-right language model (Hugging Face's ``BertLMHeadModel``).

The backbone is a decoder (``config.is_decoder``: causal self-attention, and with
``config.add_cross_attention`` cross-attention to encoder states); the head is the masked-LM
head, tied to the word embeddings, under the same names (``bert``, ``cls.predictions``), so
``BertLMHeadModel`` checkpoints load by name. Position ``t`` predicts token ``t + 1``.
:meth:`~BERTForCausalLM.generate` decodes with a :class:`~lucid.nn.KVCache`: each step runs
the new token only, against the cached keys and values of the ones before.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import _backend
from ..._tensor import Tensor
from ...nn import functional as F
from ...nn.kv_cache import KVCache
from ...random import generator
from . import _batching
from ._lm_head import TiedLMHead
from ._scoring import check_reduction, labelled_rows, token_loss, token_targets
from ._task import IGNORE_INDEX, TaskModel, accuracy, eval_mode
from .config import BERTConfig
from .heads import BERTOnlyMLMHead
from .modeling import BERT

__all__ = ["BERTForCausalLM"]


def _check_sampling(max_new_tokens, temperature, top_k, top_p):
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be an int >= 0, got {max_new_tokens!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
            math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise ValueError(f"top_k must be None or an int >= 1, got {top_k!r}")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r}")


def sample_next(logits, gen, temperature=1.0, top_k=None, top_p=None):
    """One token id per row of ``logits`` ``(batch, vocab)`` (a NumPy or CuPy array), drawn from
    ``softmax(logits / temperature)`` after Hugging Face's filters in its order: keep the
    ``top_k`` largest logits, then the smallest set of most likely tokens whose probability
    reaches ``top_p`` (the most likely token always stays). ``gen`` is the device's generator.

    Example:
        >>> import numpy as np
        >>> logits = np.log(np.array([[0.5, 0.3, 0.2]]))
        >>> int(sample_next(logits, np.random.default_rng(0), top_k=1)[0])
        0
    """
    xp = _backend.xp_of(logits)
    z = logits.astype(xp.float64) / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = xp.sort(z, axis=-1)[:, -top_k][:, None]
        z = xp.where(z < kth, -xp.inf, z)
    probs = xp.exp(z - z.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    if top_p is not None and top_p < 1:
        order = xp.argsort(-probs, axis=-1)
        ranked = xp.take_along_axis(probs, order, axis=-1)
        before = xp.cumsum(ranked, axis=-1) - ranked  # the mass of the more likely tokens
        drop = xp.empty(probs.shape, dtype=bool)
        drop[xp.arange(probs.shape[0])[:, None], order] = before >= top_p  # back to vocabulary order
        probs = xp.where(drop, 0.0, probs)
        probs /= probs.sum(axis=-1, keepdims=True)
    u = gen.random((probs.shape[0], 1))
    picked = (xp.cumsum(probs, axis=-1) < u).sum(axis=-1)
    return xp.minimum(picked, probs.shape[-1] - 1).astype(xp.int64)


class BERTForCausalLM(TiedLMHead, TaskModel):
    """BERT decoder with the language-modelling head: next-token logits at every position.

    Args:
        config: the :class:`BERTConfig`; ``config.is_decoder`` must be True (causal
            self-attention). The backbone has no pooler; with ``config.tie_word_embedding``
            the decoder reuses the word-embedding matrix.

    ``from_pretrained`` of a folder whose config is not a decoder (``bert-base-uncased``, say)
    sets ``is_decoder=True``, with a warning, as Hugging Face's documentation does by hand.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForCausalLM
        >>> cfg = BERTConfig.tiny(vocab_size=120, max_position_embeddings=32, is_decoder=True)
        >>> model = BERTForCausalLM(cfg)
        >>> ids = lucid.tensor([[101, 7, 8, 9]])
        >>> model(input_ids=ids).shape
        (1, 4, 120)
        >>> model.generate(ids, 3).shape
        (1, 7)
    """

    _hf_architecture = "BertLMHeadModel"

    def __init__(self, config: BERTConfig):
        super().__init__(config)
        if not config.is_decoder:
            raise ValueError("BERTForCausalLM needs config.is_decoder=True (causal self-attention), got False")
        self.bert = BERT(config, add_pooling_layer=False)
        self.cls = BERTOnlyMLMHead(config, self.bert.embeddings.word_embeddings.weight)

    @classmethod
    def _from_checkpoint_config(cls, config, arrays, **kwargs):
        if not config.is_decoder:
            warnings.warn("the checkpoint's config has is_decoder=False; BERTForCausalLM sets it to True "
                          "(causal self-attention)", stacklevel=4)
            config = config.replace(is_decoder=True)
        return cls(config, **kwargs)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, *, encoder_hidden_states=None, encoder_attention_mask=None,
                past_key_values=None, use_cache=None):
        """Next-token logits ``(batch, seq, vocab_size)``.

        Args:
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds: as in
                :meth:`BERT.forward`.
            encoder_hidden_states, encoder_attention_mask: the states cross-attention reads
                (``config.add_cross_attention``).
            past_key_values: a :class:`~lucid.nn.KVCache` the caller owns; the forward attends
                to what it holds and appends this call's positions.
            use_cache: None or True with a cache (see :class:`BERT`).
        """
        sequence_output, _ = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
            position_ids=position_ids, inputs_embeds=inputs_embeds, encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask, past_key_values=past_key_values, use_cache=use_cache)
        return self.cls(sequence_output)

    # ---- losses and metrics ----------------------------------------------------------------------
    def _targets(self, labels, shape, shift_labels, ignore_index):
        """The label each position predicts: with ``shift_labels``, position ``t`` gets label
        ``t + 1`` and the last position ``ignore_index`` (Hugging Face's causal-LM loss)."""
        labels = token_targets(labels, shape, self.config.vocab_size, ignore_index, self.device)
        if not shift_labels:
            return labels
        xp = labels.xp
        shifted = xp.full(labels.shape, ignore_index, dtype=labels.data.dtype)
        shifted[:, :-1] = labels.data[:, 1:]
        return Tensor._wrap(shifted)

    def _labelled(self, labels, enc, shift_labels, ignore_index, encoder_hidden_states, encoder_attention_mask):
        """``(logits, targets, positions, batch * seq)`` at the positions with a target: the
        vocabulary projection runs there only."""
        input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds = enc
        sequence_output, _ = self.bert(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                       encoder_hidden_states=encoder_hidden_states,
                                       encoder_attention_mask=encoder_attention_mask)
        targets = self._targets(labels, sequence_output.shape[:2], shift_labels, ignore_index)
        rows, row_targets, positions = labelled_rows(sequence_output, targets, ignore_index)
        return self.cls(rows), row_targets, positions, targets.size

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, *, shift_labels=True, ignore_index=IGNORE_INDEX, reduction="mean",
                 encoder_hidden_states=None, encoder_attention_mask=None):
        """Next-token cross-entropy.

        Args:
            labels: ``(batch, seq)`` token ids, ``ignore_index`` where nothing is scored; usually
                the ``input_ids`` themselves with padding set to ``ignore_index``.
            shift_labels: position ``t`` is scored against ``labels[:, t + 1]`` (Hugging Face's
                ``BertLMHeadModel`` loss); ``False`` scores it against ``labels[:, t]``.
            reduction: ``"mean"``, ``"sum"``, or ``None`` for the ``(batch * seq,)`` per-position
                losses (0 where nothing is scored, the last position of each row included).
            encoder_hidden_states, encoder_attention_mask: what cross-attention reads, as in
                :meth:`forward`.
        """
        check_reduction(reduction)
        enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        scored = self._labelled(labels, enc, shift_labels, ignore_index, encoder_hidden_states, encoder_attention_mask)
        return token_loss(*scored, ignore_index, reduction)

    def predict_token_ids(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                          inputs_embeds=None):
        """The most likely next token at every position, ``(batch, seq)`` int64 (eval mode, no graph)."""
        with eval_mode(self):
            return self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds).argmax(axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None, *, shift_labels=True, ignore_index=IGNORE_INDEX, encoder_hidden_states=None,
                     encoder_attention_mask=None):
        """Fraction of scored positions whose argmax is the target (as in :meth:`get_loss`), a
        0-d float32 tensor; eval mode, no graph."""
        with eval_mode(self):
            enc = (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            logits, targets, _, _ = self._labelled(labels, enc, shift_labels, ignore_index, encoder_hidden_states,
                                                   encoder_attention_mask)
            t = targets.data
            return accuracy(logits.data.argmax(axis=-1), t, keep=t != ignore_index)

    def get_perplexity(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                       inputs_embeds=None, *, shift_labels=True, ignore_index=IGNORE_INDEX,
                       encoder_hidden_states=None, encoder_attention_mask=None):
        """``exp`` of the mean next-token loss, a 0-d float32 tensor (1 when nothing is
        scored); eval mode, no graph."""
        with eval_mode(self):
            loss = self.get_loss(labels, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                 shift_labels=shift_labels, ignore_index=ignore_index,
                                 encoder_hidden_states=encoder_hidden_states,
                                 encoder_attention_mask=encoder_attention_mask)
            return loss.exp()

    # ---- next tokens -----------------------------------------------------------------------------
    def get_next_token_logits(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                              inputs_embeds=None):
        """The logits of the token after each sequence, ``(batch, vocab_size)``: at each row's
        last attended position (so right padding is skipped). Only those rows go through the
        vocabulary projection."""
        sequence_output, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        b, s, _ = sequence_output.shape
        xp = sequence_output.xp
        last = xp.full(b, s - 1, dtype=xp.int64)
        if attention_mask is not None:
            attended = Tensor(attention_mask, device=self.device).data.astype(bool)
            last = s - 1 - xp.argmax(attended[:, ::-1], axis=-1)
        return self.cls(sequence_output[Tensor._wrap(xp.arange(b)), Tensor._wrap(last)])

    def predict_next_token_id(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                              inputs_embeds=None):
        """The most likely next token of each sequence, ``(batch,)`` int64 (eval mode, no graph)."""
        with eval_mode(self):
            return self.get_next_token_logits(input_ids, attention_mask, token_type_ids, position_ids,
                                              inputs_embeds).argmax(axis=-1)

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, *, device=None, shift_labels=True,
                           ignore_index=IGNORE_INDEX, reduction="mean", max_length=None):
        """Tokenize and return :meth:`get_loss` with the ids themselves as labels (padding
        ignored), so every token is scored on predicting the next one.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            text_a, text_b: one string or a list of strings (``text_b``: second segments).
            device: where to run; default the model's device (another one moves the model, with a warning).
            shift_labels, ignore_index, reduction: as in :meth:`get_loss`.
            max_length: truncate each encoding to this many tokens (default ``config.max_position_embeddings``).

        The texts run as one batch: a loss's graph spans every text until ``backward`` (see
        :ref:`batched-text-inference`).
        """
        enc = self._encode(tokenizer, text_a, text_b, device, max_length)
        ids, mask = enc["input_ids"], enc["attention_mask"]
        labels = Tensor._wrap(ids.xp.where(mask.data.astype(bool), ids.data, ignore_index))
        return self.get_loss(labels, **enc, shift_labels=shift_labels, ignore_index=ignore_index,
                             reduction=reduction)

    def predict_next_token_id_from_text(self, tokenizer, text_a, text_b=None, *, device=None, max_length=None,
                                        batch_size=32, progress=False):
        """Tokenize and return the most likely token to follow each text, ``(batch,)`` int64:
        read at the text's last token, before the closing ``[SEP]`` the tokenizer adds (causal
        attention lets no earlier position see that ``[SEP]``).

        Arguments as in :meth:`get_loss_from_text`; ``batch_size`` texts run per forward pass,
        longest first, and ``progress=True`` draws a bar (see :ref:`batched-text-inference`).

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> lm = BERTForCausalLM(BERTConfig.tiny(vocab_size=5, is_decoder=True))
            >>> lm.predict_next_token_id_from_text(BERTTokenizerFast(), ["[UNK] [MASK]", "[UNK]"], batch_size=1).shape
            (2,)
        """
        texts = _batching.EncodedTexts(self, tokenizer, text_a, text_b, device, max_length)

        def step(rows):
            enc = texts.inputs(rows)
            mask = enc["attention_mask"]
            xp = mask.xp
            without_sep = mask.data.copy()
            without_sep[xp.arange(mask.shape[0]), mask.data.sum(axis=-1) - 1] = 0
            return self.predict_next_token_id(enc["input_ids"], Tensor._wrap(without_sep), enc["token_type_ids"])

        return texts.run(step, batch_size=batch_size, progress=progress)

    def generate(self, input_ids, max_new_tokens, *, attention_mask=None, do_sample=False, temperature=1.0,
                 top_k=None, top_p=None, eos_token_id=None):
        """Continue each prompt by ``max_new_tokens`` tokens, one forward of the new token per
        step against a :class:`~lucid.nn.KVCache` (equal to recomputing the whole sequence).

        Args:
            input_ids: ``(batch, prompt)`` ids (a 1-D prompt is a batch of one). Pad prompts of
                different lengths on the left and pass ``attention_mask`` (positions then count
                from each prompt's first real token, as in Hugging Face); right padding is refused.
            max_new_tokens: how many tokens to add at most.
            do_sample: greedy (the argmax, Hugging Face's greedy search) when False; else draw from
                the softmax of ``logits / temperature``, filtered by ``top_k`` and ``top_p``
                (randomness from :mod:`lucid.random`, reproducible after ``lucid.random.seed``).
            eos_token_id: a row that produced it is finished and padded with ``pad_token_id``
                from then on; generation stops when every row is finished (default:
                ``config.eos_token_id``; None never stops early).

        Returns:
            ``(batch, prompt + new)`` int64: each prompt followed by its new tokens. Runs in eval
            mode without a graph.
        """
        _check_sampling(max_new_tokens, temperature, top_k, top_p)
        ids = self.bert._as_ids(input_ids, "input_ids")
        if ids.ndim == 1:
            ids = ids.reshape(1, -1)
        if ids.ndim != 2 or ids.shape[1] == 0:
            raise ValueError(f"input_ids must be a non-empty (batch, prompt) prompt, got shape {ids.shape}")
        b, n = ids.shape
        if n + max_new_tokens > self.config.max_position_embeddings:
            raise ValueError(f"a prompt of {n} tokens plus max_new_tokens={max_new_tokens} exceeds "
                             f"max_position_embeddings={self.config.max_position_embeddings}")
        xp = ids.xp
        mask = self._prompt_mask(attention_mask, b, n)
        eos = self.config.eos_token_id if eos_token_id is None else int(eos_token_id)
        pad = self.config.pad_token_id if self.config.pad_token_id is not None else (eos or 0)
        positions = xp.maximum(xp.cumsum(mask, axis=-1) - 1, 0)
        tokens, cache = ids.data.astype(xp.int64), KVCache()
        finished = xp.zeros(b, dtype=bool)
        step_ids = tokens
        gen = generator(self.device) if do_sample else None
        with eval_mode(self):
            for step in range(max_new_tokens):
                sequence_output, _ = self.bert(input_ids=Tensor._wrap(step_ids), attention_mask=Tensor._wrap(mask),
                                               position_ids=Tensor._wrap(positions), past_key_values=cache)
                logits = self.cls(sequence_output[:, -1]).data
                next_ids = (sample_next(logits, gen, temperature, top_k, top_p) if do_sample
                            else logits.argmax(axis=-1))
                if eos is not None:
                    next_ids = xp.where(finished, pad, next_ids)
                    finished |= next_ids == eos
                tokens = xp.concatenate([tokens, next_ids[:, None]], axis=1)
                if eos is not None and bool(finished.all()):
                    break
                step_ids = next_ids[:, None]
                mask = xp.concatenate([mask, xp.ones((b, 1), dtype=mask.dtype)], axis=1)
                positions = positions[:, -1:] + 1
        return Tensor._wrap(tokens)

    def _prompt_mask(self, attention_mask, b, n):
        """The prompts' ``(batch, prompt)`` int64 mask: all ones by default; a given one must pad
        on the left only and keep at least one token per row."""
        xp = self.bert.embeddings.word_embeddings.weight.xp
        if attention_mask is None:
            return xp.ones((b, n), dtype=xp.int64)
        mask = Tensor(attention_mask, device=self.device).data.astype(xp.int64)
        if mask.shape != (b, n):
            raise ValueError(f"attention_mask of shape {mask.shape} does not match the prompts' shape {(b, n)}")
        if bool((mask.sum(axis=-1) == 0).any()):
            raise ValueError("attention_mask has a row without any token: every prompt needs one")
        if bool((xp.diff(mask, axis=-1) < 0).any()):
            raise ValueError("attention_mask pads a prompt on the right: generate continues after the last "
                             "position, so pad prompts on the left")
        return mask
