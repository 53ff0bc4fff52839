"""The one training loop of ``lucid-bert`` (used by ``demo`` and ``finetune``) and its evaluation.

Batches are tokenized as they are drawn, padded to their own longest text, so a batch of
short texts costs little. The losses, predictions and accuracy come from the models'
own ``get_loss`` and ``get_accuracy``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

import lucid
from lucid.nn.utils import clip_grad_norm

from .progress import Progress

__all__ = ["TextSet", "Trainer", "classification_loss", "masked_lm_loss"]


@dataclass
class TextSet:
    """Texts, their optional second segments, and (for a labelled set) integer class ids.

    Example:
        >>> import numpy as np
        >>> data = TextSet(["good", "bad"], labels=np.array([1, 0]))
        >>> len(data), data.take(np.array([1]))
        (2, (['bad'], None, array([0])))
    """

    texts: list
    pairs: list | None = None
    labels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, idx):
        """``(texts, pairs or None, labels or None)`` at the positions ``idx``."""
        texts = [self.texts[i] for i in idx]
        pairs = None if self.pairs is None else [self.pairs[i] for i in idx]
        return texts, pairs, None if self.labels is None else self.labels[idx]


def classification_loss(model, inputs, labels):
    """The sequence classifier's loss on one batch: ``model.get_loss``."""
    return model.get_loss(labels=labels, **inputs)


def masked_lm_loss(model, inputs, labels=None):
    """Mask the batch BERT's way (``create_masked_lm_inputs``) and return the masked-LM loss.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForMaskedLM
        >>> model = BERTForMaskedLM(BERTConfig(vocab_size=120, hidden_size=8, num_hidden_layers=1,
        ...                                    num_attention_heads=2, intermediate_size=16))
        >>> ids = lucid.tensor([[101, 7, 8, 9, 102]])  # [CLS] ... [SEP] of bert-base-uncased
        >>> masked_lm_loss(model, {"input_ids": ids, "attention_mask": lucid.ones_like(ids)}).shape
        ()
    """
    mask = inputs["attention_mask"]
    masked, targets = model.create_masked_lm_inputs(inputs["input_ids"], attention_mask=mask)
    return model.get_loss(labels=targets, input_ids=masked, attention_mask=mask)


@dataclass
class Trainer:
    """A model with what trains it: the tokenizer, the optimizer and its learning-rate
    schedule, the device, the longest input, and the gradient-norm clip (none when None).

    Example:
        >>> import numpy as np
        >>> from lucid.models import BERTConfig, BERTForSequenceClassification, BERTTokenizerFast
        >>> from lucid.optim import SGD
        >>> tok = BERTTokenizerFast.train_from_iterator(["a good film", "a bad film"] * 4, vocab_size=40)
        >>> model = BERTForSequenceClassification(BERTConfig(
        ...     vocab_size=tok.vocab_size, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...     intermediate_size=16, max_position_embeddings=16))
        >>> trainer = Trainer(model, tok, SGD(model.parameters(), lr=0.1), max_length=16)
        >>> data = TextSet(["a good film", "a bad film"], labels=np.array([1, 0]))
        >>> loss = trainer.train_epoch(data, 2, np.random.default_rng(0), "train")  # a bar on stderr
        >>> loss > 0, trainer.evaluate(data, 2)[1] in (0.0, 0.5, 1.0)
        (True, True)
    """

    model: object
    tokenizer: object
    optimizer: object
    scheduler: object = None
    device: str = "cpu"
    max_length: int | None = None
    max_grad_norm: float | None = None

    def encode(self, data: TextSet, idx):
        """One batch: the tokenizer's id tensors (padded to the batch's longest text) and the
        labels as a tensor (None for an unlabelled set)."""
        texts, pairs, labels = data.take(idx)
        inputs = self.tokenizer.batch_encode_plus(texts, pairs, truncation=self.max_length is not None,
                                                  max_length=self.max_length, device=self.device)
        del inputs["special_tokens_mask"]  # the models take the other three
        return inputs, None if labels is None else lucid.tensor(labels, device=self.device)

    def train_epoch(self, data: TextSet, batch_size: int, rng, desc: str,
                    loss: Callable = classification_loss) -> float:
        """One pass over ``data`` in ``rng``'s shuffled order, ``loss(model, inputs, labels)``
        per batch, with a progress bar; returns the mean loss per example."""
        self.model.train()
        order = rng.permutation(len(data))
        total, seen = 0.0, 0
        with Progress(math.ceil(len(data) / batch_size), desc) as bar:
            for start in range(0, len(data), batch_size):
                idx = order[start:start + batch_size]
                value = loss(self.model, *self.encode(data, idx))
                self.optimizer.zero_grad()
                value.backward()
                if self.max_grad_norm:
                    clip_grad_norm(self.model.parameters(), self.max_grad_norm)
                self.optimizer.step()
                if self.scheduler is not None:
                    self.scheduler.step()
                total += float(value.item()) * len(idx)
                seen += len(idx)
                bar.step(loss=total / seen)
        return total / max(seen, 1)

    def evaluate(self, data: TextSet, batch_size: int) -> tuple[float, float]:
        """``(mean loss, accuracy)`` of the classifier over a labelled set, in order, without
        dropout or a graph; ``nan`` accuracy for an empty set."""
        self.model.eval()
        total, hits = 0.0, 0
        with lucid.no_grad():
            for start in range(0, len(data), batch_size):
                idx = np.arange(start, min(start + batch_size, len(data)))
                inputs, labels = self.encode(data, idx)
                total += float(self.model.get_loss(labels=labels, **inputs).item()) * len(idx)
                # get_accuracy is a fraction of this batch: back to a count, so the sum is exact
                hits += round(float(self.model.get_accuracy(labels=labels, **inputs)) * len(idx))
        n = len(data)
        return total / max(n, 1), (hits / n if n else float("nan"))
