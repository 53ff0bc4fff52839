"""The one training loop of ``lucid-bert`` (used by ``demo`` and ``finetune``) and its evaluation,
on :mod:`lucid.data`: texts are tokenized once (:func:`encode_examples`), a
:class:`~lucid.data.DataLoader` draws batches (shuffled by :mod:`lucid.random`) and a
collator pads each to its own longest text, so a batch of short texts costs little. The
collator decides the task (labels for a classifier, masks for masked-LM); the losses and
accuracies are the models' own ``get_loss`` and ``get_accuracy``. Under ``mpiexec`` the
same loop runs on every rank, each training on its rows of every batch (:mod:`lucid.cli.parallel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import lucid
from lucid.data import DataLoader, RandomSampler, warn_if_truncated
from lucid.nn.utils import clip_grad_norm

from .progress import Progress

__all__ = ["Trainer", "encode_examples", "loader"]


def encode_examples(tokenizer, texts, pairs=None, labels=None, max_length=None) -> list[dict]:
    """Tokenize ``texts`` (with their ``pairs``) once into unpadded features for a collator,
    truncated to ``max_length`` tokens (a warning says how many were cut), each with its
    ``labels`` entry when ``labels`` are given.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> features = encode_examples(BERTTokenizerFast(), ["[MASK]", "[MASK] [MASK]"], labels=[1, 0])
        >>> features[1]
        {'input_ids': [2, 4, 4, 3], 'token_type_ids': [0, 0, 0, 0], 'attention_mask': [1, 1, 1, 1], 'labels': 0}
    """
    enc = tokenizer.batch_encode_plus(texts, pairs, padding=False, truncation=max_length is not None,
                                      max_length=max_length, return_tensor=False)
    del enc["special_tokens_mask"]  # the models take the other three
    if max_length is not None:
        warn_if_truncated(tokenizer, texts, pairs, [len(ids) for ids in enc["input_ids"]], max_length)
    features = [{key: rows[i] for key, rows in enc.items()} for i in range(len(texts))]
    if labels is not None:
        for feature, label in zip(features, labels):
            feature["labels"] = label
    return features


def loader(features, batch_size, collate_fn, shuffle=False, shards=None) -> DataLoader:
    """A :class:`~lucid.data.DataLoader` over ``features``; training shuffles anew each epoch,
    in rank 0's order on every rank of ``shards`` (a :class:`~lucid.cli.parallel.Job`).

    Example:
        >>> from lucid.data import DataCollatorWithPadding
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> batches = loader(encode_examples(tok, ["[MASK]"] * 3), 2, DataCollatorWithPadding(tok))
        >>> [b["input_ids"].shape for b in batches]
        [(2, 3), (1, 3)]
    """
    if shuffle and shards is not None:
        return DataLoader(features, batch_size=batch_size, sampler=shards.ordered(RandomSampler(features)),
                          collate_fn=collate_fn)
    return DataLoader(features, batch_size=batch_size, shuffle=shuffle, collate_fn=collate_fn)


@dataclass
class Trainer:
    """A model with what trains it: the optimizer and its learning-rate schedule, the
    gradient-norm clip (none when None), and ``on_step``, called after every step with
    ``(step, epoch, loss, learning_rate)`` (``epoch`` counts fractions, as Hugging Face logs it;
    the learning rate is the one the step used). ``shards`` (a :class:`~lucid.cli.parallel.Job`)
    makes each step train on this rank's rows of the batch; the losses reported stay the whole
    batch's.

    Example:
        >>> from lucid.data import DataCollatorWithPadding
        >>> from lucid.models import BERTConfig, BERTForSequenceClassification, BERTTokenizerFast
        >>> from lucid.optim import SGD
        >>> tok = BERTTokenizerFast.train_from_iterator(["a good film", "a bad film"] * 4, vocab_size=40)
        >>> model = BERTForSequenceClassification(BERTConfig(
        ...     vocab_size=tok.vocab_size, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...     intermediate_size=16, max_position_embeddings=16))
        >>> data = loader(encode_examples(tok, ["a good film", "a bad film"], labels=[1, 0]), 2,
        ...               DataCollatorWithPadding(tok))
        >>> trainer = Trainer(model, SGD(model.parameters(), lr=0.1))
        >>> loss = trainer.train_epoch(data, "train")  # a bar on stderr
        >>> loss > 0, trainer.step, trainer.evaluate(data)[1] in (0.0, 0.5, 1.0)
        (True, 1, True)
    """

    model: object
    optimizer: object
    scheduler: object = None
    max_grad_norm: float | None = None
    on_step: object = None
    shards: object = None
    step: int = 0
    epochs_done: int = 0

    def train_epoch(self, batches: DataLoader, desc: str) -> float:
        """One pass over ``batches`` (``model.get_loss(**batch)`` per batch) with a progress bar;
        returns the mean loss per example."""
        self.model.train()
        total, seen, n = 0.0, 0, len(batches)
        with Progress(n, desc) as bar:
            for k, batch in enumerate(batches, 1):
                lr = self.optimizer.param_groups[0]["lr"]
                batch, weight = (batch, 1.0) if self.shards is None else self.shards(batch)
                value = self.model.get_loss(**batch)
                self.optimizer.zero_grad()
                (value if weight == 1.0 else value * weight).backward()
                if self.max_grad_norm:
                    clip_grad_norm(self.model.parameters(), self.max_grad_norm)
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                self.step += 1
                size = batch["input_ids"].shape[0] if weight else 0
                loss = float(value.item())
                if self.shards is not None:  # the whole batch's loss, from every rank's rows
                    loss_sum, size = self.shards.combine(loss * size, size)
                    loss = loss_sum / size
                total, seen = total + loss * size, seen + size
                bar.step(loss=total / seen)
                if self.on_step is not None:
                    self.on_step(self.step, self.epochs_done + k / n, loss, lr)
        self.epochs_done += 1
        return total / max(seen, 1)

    def evaluate(self, batches: DataLoader) -> tuple[float, float]:
        """``(mean loss, accuracy)`` of the classifier over labelled ``batches``, without
        dropout or a graph; ``nan`` for no batches."""
        self.model.eval()
        total, hits, n = 0.0, 0, 0
        with lucid.no_grad():
            for batch in batches:
                size = batch["input_ids"].shape[0]
                total += float(self.model.get_loss(**batch).item()) * size
                # get_accuracy is a fraction of this batch: back to a count, so the sum is exact
                hits += round(float(self.model.get_accuracy(**batch)) * size)
                n += size
        return (total / n, hits / n) if n else (float("nan"), float("nan"))
