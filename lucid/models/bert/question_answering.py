"""``BERTForQuestionAnswering``: extractive question answering (a span of the context).

Attribute names follow Hugging Face's ``BertForQuestionAnswering`` (``bert`` without a
pooler, ``qa_outputs``: a linear layer to start and end logits), so its checkpoints load by
name. Beyond the original Lucid: :meth:`~BERTForQuestionAnswering.get_best_spans`, one
vectorised search over every ``(start, end)`` pair, and
:meth:`~BERTForQuestionAnswering.predict_answer_from_text`, the post-processing of Hugging
Face's question-answering pipeline (transformers 4.x): the context laid out in overlapping
windows, a softmax over each window's context tokens and ``[CLS]``, the best span across
windows mapped back to characters of the context (whole words), and the "no answer" of
``[CLS]``.
"""

from __future__ import annotations

import numpy as np

from ... import _backend, nn
from ..._tensor import Tensor
from ...nn import functional as F
from . import _batching, _encodings
from ._scoring import check_reduction
from ._task import TaskModel, accuracy, batch_labels, batch_texts, eval_mode, first_out_of_range, resolve_device
from .config import BERTConfig
from .modeling import BERT, init_bert_weights

__all__ = ["BERTForQuestionAnswering", "best_spans", "context_windows"]

def best_spans(start_logits, end_logits, allowed, max_answer_length):
    """The best answer span of each row, searched over every pair at once.

    ``allowed`` (bool, like the logits ``(batch, seq)``) marks the tokens an answer may
    use. The probabilities are softmaxes over the allowed tokens and position 0 (``[CLS]``,
    the "no answer" token, which no span uses), as in Hugging Face's pipeline; a span
    ``s <= e < s + max_answer_length`` scores ``p_start[s] * p_end[e]``.

    Returns:
        ``(starts, ends, scores, null_scores)`` arrays of shape ``(batch,)``; ``null_scores`` is
        ``p_start[0] * p_end[0]``. A row with no allowed span gets ``0, 0`` and score 0.

    Example:
        >>> import numpy as np
        >>> start = np.array([[0.0, 5.0, 2.0, 0.0]]); end = np.array([[0.0, 0.0, 1.0, 5.0]])
        >>> allowed = np.array([[False, True, True, True]])
        >>> s, e, score, null = best_spans(start, end, allowed, max_answer_length=3)
        >>> s.tolist(), e.tolist()
        ([1], [3])
        >>> best_spans(start, end, allowed, max_answer_length=2)[:2]
        (array([2]), array([3]))
    """
    xp = _backend.xp_of(start_logits)
    allowed = allowed.copy()
    allowed[:, 0] = False
    in_softmax = allowed.copy()
    in_softmax[:, 0] = True

    def probs(logits):
        z = xp.where(in_softmax, logits, -xp.inf)
        z = xp.exp(z - z.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    p_start, p_end = probs(start_logits), probs(end_logits)
    null = p_start[:, 0] * p_end[:, 0]
    s = xp.arange(allowed.shape[1])
    width = s[None, :] - s[:, None]  # e - s
    ok = (width >= 0) & (width < max_answer_length)
    ok = ok[None] & allowed[:, :, None] & allowed[:, None, :]
    scores = xp.where(ok, p_start[:, :, None] * p_end[:, None, :], -1.0)
    flat = scores.reshape(scores.shape[0], -1).argmax(axis=-1)
    best = xp.take_along_axis(scores.reshape(scores.shape[0], -1), flat[:, None], axis=1)[:, 0]
    found = best >= 0
    starts = xp.where(found, flat // allowed.shape[1], 0)
    ends = xp.where(found, flat % allowed.shape[1], 0)
    return starts, ends, xp.where(found, best, 0.0).astype(p_start.dtype), null


def context_windows(n_question, n_context, max_length, doc_stride):
    """The ``(start, stop)`` piece ranges of the context windows: each window is ``[CLS]
    question [SEP] context[start:stop] [SEP]`` within ``max_length`` tokens, and consecutive
    windows overlap by ``doc_stride`` pieces (the ``tokenizers`` overflow rule Hugging Face's
    pipeline uses). A context that fits is one window.

    Example:
        >>> context_windows(3, 10, 12, 2)
        [(0, 6), (4, 10)]
    """
    room = max_length - n_question - 3
    if n_question + n_context + 3 <= max_length:
        return [(0, n_context)]
    if room <= 0:
        raise ValueError(f"the question has {n_question} tokens: with max_length={max_length} no room is left "
                         "for the context; raise max_length or shorten the question")
    if doc_stride >= room:
        raise ValueError(f"doc_stride={doc_stride} must be smaller than the {room} context tokens a window of "
                         f"max_length={max_length} holds beside this question")
    windows, start = [], 0
    while True:
        stop = min(start + room, n_context)
        windows.append((start, stop))
        if stop == n_context:
            return windows
        start += room - doc_stride


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


class BERTForQuestionAnswering(TaskModel):
    """BERT with a span head: start and end logits at every position.

    Args:
        config: the :class:`BERTConfig` (the backbone is built without a pooler).

    Inputs are ``[CLS] question [SEP] context [SEP]`` with token types 0 then 1.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForQuestionAnswering
        >>> model = BERTForQuestionAnswering(BERTConfig.tiny(vocab_size=120, max_position_embeddings=32))
        >>> ids = lucid.tensor([[101, 7, 102, 8, 9, 10, 102]])  # [CLS] question [SEP] context [SEP]
        >>> start_logits, end_logits = model(input_ids=ids)
        >>> start_logits.shape
        (1, 7)
        >>> model.get_loss(lucid.tensor([3]), lucid.tensor([4]), input_ids=ids).shape
        ()
    """

    _hf_architecture = "BertForQuestionAnswering"

    def __init__(self, config: BERTConfig):
        super().__init__(config)
        self.bert = BERT(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)
        init_bert_weights(self.qa_outputs, config)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """``(start_logits, end_logits)``, each ``(batch, seq)``; arguments as in :meth:`BERT.forward`."""
        # every position is computed (no packing): the span softmax of Hugging Face's loss runs over the
        # padded positions too
        sequence_output, _ = self.bert.hidden_rows(input_ids, attention_mask, token_type_ids, position_ids,
                                                   inputs_embeds, pack=False)
        logits = self.qa_outputs(sequence_output)
        return logits[..., 0], logits[..., 1]

    def _positions(self, positions, batch, seq, name):
        """Token positions as ``(batch,)`` int64; those at or beyond ``seq`` become ``seq``,
        which the loss ignores (Hugging Face's rule for answers cut off by truncation)."""
        positions = batch_labels(positions, batch, self.device)
        if positions.ndim == 2 and positions.shape[1] == 1:
            positions = positions.reshape(-1)
        if positions.dtype.kind not in "iu" or positions.ndim != 1:
            raise ValueError(f"{name} must be integer token positions of shape ({batch},), got dtype "
                             f"{positions.dtype} and shape {positions.shape}")
        bad = first_out_of_range(positions.data, np.iinfo(np.int64).max)
        if bad is not None:
            raise ValueError(f"{name} must be token positions >= 0, got {bad}")
        return Tensor._wrap(positions.xp.minimum(positions.data, seq))

    def get_loss(self, start_positions, end_positions, input_ids=None, attention_mask=None, token_type_ids=None,
                 position_ids=None, inputs_embeds=None, *, reduction="mean"):
        """The mean of the start and end cross-entropies (Hugging Face's loss).

        Args:
            start_positions, end_positions: the answer's first and last token, an int, list or
                tensor of shape ``(batch,)`` or ``(batch, 1)``. A position at or beyond the
                sequence length is ignored (an answer truncation cut off); a negative one is an
                error.
            reduction: ``"mean"``: ``(mean start loss + mean end loss) / 2``; ``"sum"``: the
                same with sums; ``None``: ``(start loss + end loss) / 2`` per example, ``(batch,)``.
        """
        check_reduction(reduction)
        start_logits, end_logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids,
                                                inputs_embeds)
        b, s = start_logits.shape
        starts = self._positions(start_positions, b, s, "start_positions")
        ends = self._positions(end_positions, b, s, "end_positions")
        start_loss = F.cross_entropy(start_logits, starts, ignore_index=s, reduction=reduction)
        end_loss = F.cross_entropy(end_logits, ends, ignore_index=s, reduction=reduction)
        return (start_loss + end_loss) / 2

    def predict_spans(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                      inputs_embeds=None):
        """``(starts, ends)``: the argmax of the start and of the end logits, each ``(batch,)``
        int64, chosen independently as the original Lucid does (see :meth:`get_best_spans` for
        the best consistent span). Eval mode, no graph."""
        with eval_mode(self):
            start_logits, end_logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids,
                                                    inputs_embeds)
            return start_logits.argmax(axis=-1), end_logits.argmax(axis=-1)

    def get_best_spans(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                       inputs_embeds=None, *, max_answer_length=30):
        """``(starts, ends, scores)``, each ``(batch,)``: the span ``s <= e < s +
        max_answer_length`` with the largest ``p_start[s] * p_end[e]``, all pairs searched at
        once (see :func:`best_spans`). Only context tokens are searched: with
        ``token_type_ids``, segment 1 without its closing ``[SEP]`` (the last attended token);
        without, every attended token but the first. Eval mode, no graph."""
        max_answer_length = _positive_int(max_answer_length, "max_answer_length")
        with eval_mode(self):
            start_logits, end_logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids,
                                                    inputs_embeds)
            xp = start_logits.xp
            b, s = start_logits.shape
            attended = xp.ones((b, s), dtype=bool)
            if attention_mask is not None:
                attended = Tensor(attention_mask, device=self.device).data.astype(bool)
            allowed = attended.copy()
            if token_type_ids is not None:
                last = s - 1 - xp.argmax(attended[:, ::-1], axis=-1)  # the closing [SEP]
                allowed &= Tensor(token_type_ids, device=self.device).data == 1
                allowed[xp.arange(b), last] = False
            starts, ends, scores, _ = best_spans(start_logits.data, end_logits.data, allowed, max_answer_length)
            return Tensor._wrap(starts), Tensor._wrap(ends), Tensor._wrap(scores)

    def get_accuracy(self, start_positions, end_positions, input_ids=None, attention_mask=None,
                     token_type_ids=None, position_ids=None, inputs_embeds=None):
        """Exact match: the fraction of examples whose :meth:`predict_spans` start and end both
        equal the given positions (a 0-d float32 tensor)."""
        starts, ends = self.predict_spans(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        b, s = starts.shape[0], np.iinfo(np.int64).max  # exact positions: none is clipped here
        hits = ((starts.data == self._positions(start_positions, b, s, "start_positions").data)
                & (ends.data == self._positions(end_positions, b, s, "end_positions").data))
        return accuracy(hits, True)

    def predict_spans_from_text(self, tokenizer, question, context, *, device=None, max_length=None, batch_size=32,
                                progress=False):
        """Tokenize ``question`` and ``context`` as a pair and return :meth:`predict_spans`'s
        ``(starts, ends)``, each ``(batch,)`` int64: token positions in each pair's encoding,
        the argmax over its tokens (padding is never chosen).

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            question, context: strings, or lists of strings of one length.
            device: where to run; default the model's device (another one moves the model, with a warning).
            max_length: truncate each pair to this many tokens (default ``config.max_position_embeddings``).
            batch_size: pairs per forward pass (an int >= 1); they run longest first, so memory
                stays that of one batch, and come back in their order.
            progress: show a progress bar on standard error.

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
            ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "who", "ada", "wrote"])})
            >>> model = BERTForQuestionAnswering(BERTConfig.tiny(vocab_size=8))
            >>> starts, ends = model.predict_spans_from_text(tok, ["who", "who wrote"], ["ada wrote", "ada"])
            >>> starts.shape, ends.shape
            ((2,), (2,))
        """
        texts = _batching.EncodedTexts(self, tokenizer, question, context, device, max_length)

        def step(rows):
            inputs = texts.inputs(rows)
            start_logits, end_logits = self.forward(**inputs)
            real = inputs["attention_mask"].data.astype(bool)
            xp = start_logits.xp
            return tuple(Tensor._wrap(xp.where(real, z.data, -xp.inf).argmax(axis=-1))
                         for z in (start_logits, end_logits))

        return texts.run(step, batch_size=batch_size, progress=progress)

    def predict_answer_from_text(self, tokenizer, question, context, *, device=None, max_answer_length=30,
                                 doc_stride=128, max_length=384, handle_impossible_answer=False,
                                 return_offsets=False, batch_size=32, progress=False):
        """The answer to ``question`` as an exact substring of ``context``.

        The context is laid out in windows of at most ``max_length`` tokens (``[CLS] question
        [SEP] context piece [SEP]``) overlapping by ``doc_stride`` tokens (see
        :func:`context_windows`); in each, :func:`best_spans` finds the best span of at most
        ``max_answer_length`` tokens; the best one across windows wins, and its characters run
        from the start of the word holding its first token to the end of the word holding its
        last (the tokenizer's character offsets, so case, accents and spacing are the
        context's own). With ``handle_impossible_answer``, the answer is ``""`` when the
        smallest ``[CLS]`` score of the windows beats every span. This is Hugging Face's
        question-answering pipeline (transformers 4.x) with ``top_k=1``.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            question, context: strings, or lists of strings of one length (then a list comes back).
            max_length: the window length, at most ``config.max_position_embeddings`` (a larger
                value is capped there, as the pipeline caps it at the tokenizer's maximum).
            device: where to run; default the model's device (another one moves the model, with a warning).
            return_offsets: give ``{"answer", "start", "end", "score"}`` instead of the string
                (``context[start:end] == answer``; ``0, 0`` for no answer).
            batch_size: windows per forward pass (an int >= 1; a long context gives several):
                the windows of every pair run longest first, so memory stays that of one
                batch's ``(batch, seq, seq)`` span scores.
            progress: show a progress bar (counting windows) on standard error.

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
            ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "who", "ada", "wrote"])})
            >>> model = BERTForQuestionAnswering(BERTConfig.tiny(vocab_size=8))
            >>> answers = model.predict_answer_from_text(tok, ["who wrote", "who"], ["ada wrote", "ada ada"],
            ...                                          batch_size=1)
            >>> answers[0] in ("ada", "wrote", "ada wrote"), answers[1] in ("ada", "ada ada")
            (True, True)
        """
        max_answer_length = _positive_int(max_answer_length, "max_answer_length")
        max_length = _positive_int(max_length, "max_length")
        if isinstance(doc_stride, bool) or not isinstance(doc_stride, (int, np.integer)) or doc_stride < 0:
            raise ValueError(f"doc_stride must be an int >= 0, got {doc_stride!r}")
        max_length = min(max_length, self.config.max_position_embeddings)  # as the pipeline caps it
        questions, contexts = batch_texts(question, context)
        if contexts is None:
            raise TypeError("predict_answer_from_text needs a context for the question")
        device = resolve_device(self, device)
        windows = self._windows(tokenizer, questions, contexts, max_length, int(doc_stride))
        spans = self._window_spans(tokenizer, windows, device, max_answer_length, batch_size, progress)
        answers = self._answers(windows, contexts, spans, handle_impossible_answer)
        if not return_offsets:
            answers = [a["answer"] for a in answers]
        return answers[0] if isinstance(question, str) else answers

    @staticmethod
    def _windows(tokenizer, questions, contexts, max_length, doc_stride):
        """Per window: ``(example, ids, number of question pieces, context encoding, start, stop)``."""
        pieces = _encodings.encode_pieces(tokenizer, questions + contexts)
        n = len(questions)
        out = []
        for i in range(n):
            q, c = pieces[i], pieces[n + i]
            for start, stop in context_windows(len(q.ids), len(c.ids), max_length, doc_stride):
                ids = ([tokenizer.cls_token_id] + q.ids + [tokenizer.sep_token_id] + c.ids[start:stop]
                       + [tokenizer.sep_token_id])
                out.append((i, ids, len(q.ids), c, start, stop))
        return out

    def _window_spans(self, tokenizer, windows, device, max_answer_length, batch_size, progress):
        """``(starts, ends, scores, null scores, has a span)`` of each window (NumPy arrays), the
        windows run ``batch_size`` at a time so that the ``(windows, seq, seq)`` span scores stay small."""

        def step(rows):
            chunk = [windows[i] for i in rows]
            lengths = np.array([len(w[1]) for w in chunk])
            ids = np.full((len(chunk), int(lengths.max())), tokenizer.pad_token_id, dtype=np.int64)
            types = np.zeros_like(ids)
            allowed = np.zeros(ids.shape, dtype=bool)
            for row, (_, w_ids, nq, _, start, stop) in enumerate(chunk):
                ids[row, :len(w_ids)] = w_ids
                types[row, nq + 2:len(w_ids)] = 1
                allowed[row, nq + 2:nq + 2 + stop - start] = True  # the context pieces
            mask = (np.arange(ids.shape[1])[None, :] < lengths[:, None]).astype(np.int64)
            start_logits, end_logits = self.forward(Tensor(ids, device=device), Tensor(mask, device=device),
                                                    Tensor(types, device=device))
            spans = best_spans(start_logits.data, end_logits.data, _backend.to_device(allowed, device),
                               max_answer_length)
            return tuple(_backend.to_numpy(a) for a in spans) + (allowed.any(axis=1),)

        return _batching.run_batched(self, [len(w[1]) for w in windows], step, batch_size=batch_size,
                                     progress=progress, desc=type(self).__name__, unit="window")

    @staticmethod
    def _answers(windows, contexts, spans, handle_impossible_answer):
        """The best answer of each example across its windows (Hugging Face's pipeline rule:
        the highest-scoring span, else the null answer when allowed and better)."""
        starts, ends, scores, null, has_span = spans
        best = [None] * len(contexts)
        least_null = [np.inf] * len(contexts)
        for row, (i, _, nq, c, start, stop) in enumerate(windows):
            least_null[i] = min(least_null[i], float(null[row]))
            if has_span[row] and (best[i] is None or scores[row] > best[i]["score"]):
                first, last = start + int(starts[row]) - nq - 2, start + int(ends[row]) - nq - 2
                a, b = _word_chars(c, first, last, start, stop)
                best[i] = {"answer": contexts[i][a:b], "start": a, "end": b, "score": float(scores[row])}
        out = []
        for i, answer in enumerate(best):
            if answer is None or (handle_impossible_answer and least_null[i] > answer["score"]):
                answer = {"answer": "", "start": 0, "end": 0,
                          "score": least_null[i] if handle_impossible_answer else 0.0}
            out.append(answer)
        return out


def _word_chars(encoding, first, last, lo, hi):
    """The characters from the start of the word holding piece ``first`` to the end of the word
    holding piece ``last``, looking only at pieces ``lo .. hi - 1`` (one window's)."""
    words, offsets = encoding.word_ids, encoding.offsets
    while first > lo and words[first - 1] == words[first]:
        first -= 1
    while last + 1 < hi and words[last + 1] == words[last]:
        last += 1
    return offsets[first][0], offsets[last][1]
