"""The training problem the data-parallel tests share: a tiny BERT classifier without dropout,
padded batches of random token ids, AdamW, and the one-process reference run.

Imported by the tests (the reference) and by ``mpi_worker.py`` (each rank's run).
"""

from __future__ import annotations

import numpy as np

import lucid
from lucid.models import BERTConfig, BERTForSequenceClassification
from lucid.optim import AdamW

N_EXAMPLES = 22
LR = 1e-3


def make_model(seed):
    lucid.random.seed(seed)
    cfg = BERTConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=32, hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0)
    return BERTForSequenceClassification(cfg, num_labels=3)


def make_data():
    """Token ids of random lengths (3 to 12, [CLS] first), and labels."""
    rng = np.random.default_rng(7)
    seqs = [[1] + rng.integers(5, 60, size=rng.integers(2, 12)).tolist() for _ in range(N_EXAMPLES)]
    return seqs, rng.integers(0, 3, size=N_EXAMPLES)


def batch(seqs, labels, idx):
    """The examples ``idx`` padded to their longest: ``(input_ids, attention_mask, labels)``."""
    width = max(len(seqs[i]) for i in idx)
    ids = np.zeros((len(idx), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, i in enumerate(idx):
        ids[row, :len(seqs[i])] = seqs[i]
        mask[row, :len(seqs[i])] = 1
    return lucid.tensor(ids), lucid.tensor(mask), lucid.tensor(labels[list(idx)])


def loss_sum(model, seqs, labels, idx):
    ids, mask, y = batch(seqs, labels, idx)
    return model.get_loss(labels=y, input_ids=ids, attention_mask=mask) * len(idx)


def sampler_steps(num_replicas, per_rank_batch, epochs, seed=5):
    """Per step, each rank's indices: a DistributedSampler per rank, batched in order."""
    from lucid.data import DistributedSampler

    seqs, _ = make_data()
    steps = []
    for epoch in range(epochs):
        shares = []
        for rank in range(num_replicas):
            s = DistributedSampler(seqs, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)
            s.set_epoch(epoch)
            shares.append(list(s))
        for start in range(0, len(shares[0]), per_rank_batch):
            steps.append([share[start:start + per_rank_batch] for share in shares])
    return steps


# Global batches whose split over 2 ranks is uneven: (3, 3), (3, 2), then (1, 0).
UNEVEN_BATCHES = [list(range(0, 6)), list(range(6, 11)), [11]]


def train_single(steps):
    """The one-process reference: the rank-0 initialisation, each step on the concatenated batch."""
    model = make_model(seed=0)
    seqs, labels = make_data()
    opt = AdamW(model.parameters(), lr=LR)
    for shares in steps:
        idx = [i for share in shares for i in share]
        opt.zero_grad()
        (loss_sum(model, seqs, labels, idx) / len(idx)).backward()
        opt.step()
    return {n: p.numpy() for n, p in model.named_parameters()}
