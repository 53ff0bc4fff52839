"""float16 on the GPU: autocast with float32 master weights and GradScaler fine-tuning a tiny
BERT, model.half(), padded batches without NaN. Every test is marked ``gpu``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification

pytestmark = pytest.mark.gpu

F16, F32 = np.dtype(np.float16), np.dtype(np.float32)
TINY = dict(vocab_size=80, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            max_position_embeddings=32, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


def _batch(seed=0, batch=8, seq=12):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 80, size=(batch, seq))
    mask = np.ones_like(ids)
    for i in range(batch):
        mask[i, rng.integers(2, seq + 1):] = 0  # padded rows of every length, one with only two tokens
    ids[mask == 0] = 0
    labels = (ids[:, 1] > 40).astype(np.int64)  # learnable from the first real token
    return (lucid.tensor(a, device="gpu") for a in (ids, mask, labels))


def _train(model, amp, steps, lr=2e-3):
    opt = lucid.optim.AdamW(model.parameters(), lr=lr)
    scaler = lucid.amp.GradScaler(device="gpu", enabled=amp)
    ids, mask, labels = _batch()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with lucid.amp.autocast(device="gpu", enabled=amp):
            loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    return np.array(losses), scaler


def test_autocast_policy_on_gpu():
    x = lucid.tensor(np.ones((3, 4), np.float32), device="gpu")
    w = lucid.tensor(np.ones((5, 4), np.float32), device="gpu", requires_grad=True)
    with lucid.amp.autocast(device="gpu"):
        y = F.linear(x, w)
        z = F.layer_norm(y, (5,))
    assert y.dtype == F16 and z.dtype == F32 and y.device == "gpu"
    z.sum().backward()
    assert w.grad.dtype == F32


def test_tiny_bert_fine_tunes_under_autocast_on_gpu():
    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig(**TINY), num_labels=2).to("gpu").train()
    ref = copy.deepcopy(model)
    losses, scaler = _train(model, True, 40)
    lucid.random.seed(1)
    ref_losses, _ = _train(ref, False, 40)
    assert np.isfinite(losses).all()
    assert losses[-5:].mean() < 0.5 * losses[:5].mean()
    assert abs(losses[-5:].mean() - ref_losses[-5:].mean()) < 0.15
    assert scaler.get_scale() > 1.0
    assert all(p.dtype == F32 and bool(p.xp.isfinite(p.data).all()) for p in model.parameters())


def test_masked_lm_under_autocast_padded_batch_gives_finite_loss_and_grads():
    lucid.random.seed(0)
    model = BERTForMaskedLM(BERTConfig(**TINY)).to("gpu").train()
    ids, mask, _ = _batch(3)
    labels = lucid.tensor(np.where(lucid._backend.to_numpy(mask.data) == 1, lucid._backend.to_numpy(ids.data), -100),
                          device="gpu")
    scaler = lucid.amp.GradScaler(device="gpu")
    with lucid.amp.autocast(device="gpu"):
        loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
    scaler.scale(loss).backward()
    assert np.isfinite(loss.item())
    for p in model.parameters():
        if p.grad is not None:
            assert bool(p.xp.isfinite(p.grad).all())


def test_half_model_on_gpu_matches_float32_and_has_no_nan_with_padding():
    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig(**TINY), num_labels=2).eval()
    ids, mask, _ = _batch(2)
    cpu_ids, cpu_mask = ids.to("cpu"), mask.to("cpu")
    with lucid.no_grad():
        ref = model(input_ids=cpu_ids, attention_mask=cpu_mask).numpy()
        model.to("gpu").half()
        out = model(input_ids=ids, attention_mask=mask)
    assert out.dtype == F16 and out.device == "gpu"
    got = out.numpy().astype(np.float32)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref, atol=2e-2)


def test_half_model_trains_on_gpu_with_padding_without_nan():
    lucid.random.seed(0)
    cfg = BERTConfig(**{**TINY, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
    model = BERTForSequenceClassification(cfg, num_labels=2).to("gpu").half().train()
    opt = lucid.optim.SGD(model.parameters(), lr=0.05)
    ids, mask, labels = _batch()
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
        loss.backward()
        assert all(bool(p.xp.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
        opt.step()
        losses.append(float(loss.item()))
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_grad_scaler_on_gpu_follows_the_cpu_scaler():
    traces = []
    for dev in ("cpu", "gpu"):
        w = lucid.nn.Parameter(np.linspace(-1, 1, 6).astype(np.float32), device=dev)
        opt = lucid.optim.SGD([w], lr=0.1)
        scaler = lucid.amp.GradScaler(device=dev, growth_interval=2)
        trace = []
        for k in range(6):
            opt.zero_grad()
            scaler.scale((w * w).sum()).backward()
            if k == 2:
                w.grad[0] = np.inf
            scaler.step(opt)
            scaler.update()
            trace.append((scaler.get_scale(), w.numpy().copy()))
        traces.append(trace)
    for (s1, w1), (s2, w2) in zip(*traces):
        assert s1 == s2
        np.testing.assert_allclose(w1, w2, rtol=1e-6)
