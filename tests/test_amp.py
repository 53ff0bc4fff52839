"""lucid.amp: autocast's cast policy and master weights, float16 training of a tiny BERT,
model.half(), and GradScaler step by step against torch.amp.GradScaler; on the CPU, and the
tests that take the ``device`` fixture on "gpu" too (fine-tuning a small BERT with dropout
under autocast, half models on padded batches, the scaler against torch)."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest
import torch

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification

F16, F32 = np.dtype(np.float16), np.dtype(np.float32)
TINY = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
            max_position_embeddings=16, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def _rand(*shape, seed=0):
    return lucid.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), requires_grad=True)


# ---- autocast ---------------------------------------------------------------------------
def test_autocast_cast_policy_per_op():
    x, w, b = _rand(3, 4), _rand(5, 4, seed=1), _rand(5, seed=2)
    q = _rand(1, 2, 3, 4, seed=3)
    with lucid.amp.autocast(device="cpu"):
        assert F.linear(x, w, b).dtype == F16
        assert (x @ w.transpose(1, 0)).dtype == F16
        assert F.scaled_dot_product_attention(q, q, q).dtype == F16
        assert F.scaled_dot_product_attention(q.half(), q, q).dtype == F16  # cast before the dtype check
        assert F.packed_attention(q[0].half(), q[0], q[0], [0, 2]).dtype == F16
        h = x.half()
        assert F.layer_norm(h, (4,)).dtype == F32
        assert F.softmax(h).dtype == F32 and F.log_softmax(h).dtype == F32
        assert F.cross_entropy(h, lucid.tensor([0, 1, 3])).dtype == F32
        assert F.gelu(h).dtype == F16  # not on either list: runs in the dtype it gets
        assert (h + x).dtype == F32  # mixed element-wise ops promote
    assert F.linear(x, w, b).dtype == F32
    with pytest.raises(TypeError, match="share a dtype"):  # outside autocast, mixed dtypes are an error
        F.scaled_dot_product_attention(q.half(), q, q)
    d = q.double()
    with lucid.amp.autocast(device="cpu"):  # float64 is never cast, as in PyTorch
        assert F.linear(x.double(), w.double()).dtype == np.float64
        assert F.scaled_dot_product_attention(d, d, d).dtype == np.float64
        with pytest.raises(TypeError, match="share a dtype"):
            F.scaled_dot_product_attention(d, q, q)


def test_autocast_only_touches_its_device_and_is_per_thread():
    x, w = _rand(2, 4), _rand(3, 4, seed=1)
    with lucid.amp.autocast(device="gpu"):
        assert F.linear(x, w).dtype == F32
        assert lucid.amp.is_autocast_enabled("gpu") and not lucid.amp.is_autocast_enabled("cpu")
    seen = []
    with lucid.amp.autocast(device="cpu"):
        t = threading.Thread(target=lambda: seen.append(F.linear(x, w).dtype))
        t.start()
        t.join()
        assert F.linear(x, w).dtype == F16
    assert seen == [F32]
    assert not lucid.amp.is_autocast_enabled("cpu") and lucid.amp.get_autocast_dtype("cpu") is None


def test_autocast_nesting_disable_and_decorator():
    x, w = _rand(2, 4), _rand(3, 4, seed=1)

    @lucid.amp.autocast(device="cpu")
    def run():
        return F.linear(x, w)

    assert run().dtype == F16 and not lucid.amp.is_autocast_enabled("cpu")
    with lucid.amp.autocast(device="cpu"):
        with lucid.amp.autocast(device="cpu", enabled=False):
            assert F.linear(x, w).dtype == F32
            with lucid.amp.autocast(device="cpu", dtype=lucid.Float32):
                assert F.linear(x, w).dtype == F32
        assert F.linear(x, w).dtype == F16
        assert lucid.amp.get_autocast_dtype("cpu") == F16


def test_autocast_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="'cuda'"):
        lucid.amp.autocast(device="cuda")
    with pytest.raises(ValueError, match="float64"):
        lucid.amp.autocast(device="cpu", dtype=lucid.Float64)
    with pytest.raises(TypeError, match="'yes'"):
        lucid.amp.autocast(device="cpu", enabled="yes")


def test_master_weights_get_float32_grads_close_to_float32_training():
    lin = nn.Linear(8, 4)
    ln = nn.LayerNorm(4)
    x = lucid.tensor(np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32))
    y = lucid.tensor([0, 1, 2, 3, 0, 1])

    def grads(amp):
        lin.zero_grad()
        ln.zero_grad()
        with lucid.amp.autocast(device="cpu", enabled=amp):
            loss = F.cross_entropy(ln(F.gelu(lin(x))), y)
        loss.backward()
        return loss, [p.grad for p in (lin.weight, lin.bias, ln.weight, ln.bias)]

    loss16, g16 = grads(True)
    loss32, g32 = grads(False)
    assert loss16.dtype == F32 and lin.weight.dtype == F32
    assert abs(loss16.item() - loss32.item()) < 1e-2
    for a, b in zip(g16, g32):
        assert a.dtype == F32
        np.testing.assert_allclose(a, b, atol=3e-3, rtol=2e-2)


def _bert_batch():
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 60, size=(4, 10))
    mask = np.ones_like(ids)
    mask[1, 6:] = 0
    mask[3, 2:] = 0
    ids[mask == 0] = 0
    return lucid.tensor(ids), lucid.tensor(mask), lucid.tensor([0, 1, 1, 0])


def _train_tiny_bert(amp, steps=15):
    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig(**TINY), num_labels=2).train()
    opt = lucid.optim.AdamW(model.parameters(), lr=3e-3)
    scaler = lucid.amp.GradScaler(device="cpu", init_scale=2.0**10, enabled=amp)
    ids, mask, labels = _bert_batch()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with lucid.amp.autocast(device="cpu", enabled=amp):
            loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
        assert loss.dtype == F32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    return model, np.array(losses)


def test_tiny_bert_trains_under_autocast_with_grad_scaler():
    model, losses = _train_tiny_bert(True)
    _, reference = _train_tiny_bert(False)
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.6 * losses[0]
    np.testing.assert_allclose(losses, reference, atol=0.02)  # float16 compute tracks float32 training
    assert all(p.dtype == F32 and np.isfinite(p.numpy()).all() for p in model.parameters())


def test_half_model_runs_a_padded_bert_forward_on_cpu():
    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig(**TINY), num_labels=2).eval()
    ids, mask, _ = _bert_batch()
    with lucid.no_grad():
        ref = model(input_ids=ids, attention_mask=mask).numpy()
        model.half()
        out = model(input_ids=ids, attention_mask=mask)
    assert out.dtype == F16 and np.isfinite(out.numpy()).all()
    np.testing.assert_allclose(out.numpy().astype(np.float32), ref, atol=2e-2)


def test_half_model_trains_with_padding_without_nan():
    lucid.random.seed(1)
    model = BERTForSequenceClassification(BERTConfig(**TINY), num_labels=2).half().train()
    opt = lucid.optim.SGD(model.parameters(), lr=0.05)
    ids, mask, labels = _bert_batch()
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
        loss.backward()
        assert all(np.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
        opt.step()
        losses.append(float(loss.item()))
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


# ---- on each device: autocast, a small BERT with dropout fine-tuned, half models -----------------
SMALL = dict(vocab_size=80, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
             max_position_embeddings=32, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1)


def test_autocast_policy_on_device(device):
    x = lucid.tensor(np.ones((3, 4), np.float32), device=device)
    w = lucid.tensor(np.ones((5, 4), np.float32), device=device, requires_grad=True)
    with lucid.amp.autocast(device=device):
        y = F.linear(x, w)
        z = F.layer_norm(y, (5,))
    assert y.dtype == F16 and z.dtype == F32 and y.device == device
    z.sum().backward()
    assert w.grad.dtype == F32


def _padded_batch(device, seed=0, batch=8, seq=12):
    rng = np.random.default_rng(seed)
    ids = rng.integers(5, 80, size=(batch, seq))
    mask = np.ones_like(ids)
    for i in range(batch):
        mask[i, rng.integers(2, seq + 1):] = 0  # padded rows of every length, one with only two tokens
    ids[mask == 0] = 0
    labels = (ids[:, 1] > 40).astype(np.int64)  # learnable from the first real token
    return (lucid.tensor(a, device=device) for a in (ids, mask, labels))


def _fine_tune(model, device, amp, steps, lr=2e-3):
    opt = lucid.optim.AdamW(model.parameters(), lr=lr)
    scaler = lucid.amp.GradScaler(device=device, enabled=amp)
    ids, mask, labels = _padded_batch(device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        with lucid.amp.autocast(device=device, enabled=amp):
            loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    return np.array(losses), scaler


def test_small_bert_fine_tunes_under_autocast_on_device(device):
    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig(**SMALL), num_labels=2).to(device).train()
    ref = copy.deepcopy(model)
    losses, scaler = _fine_tune(model, device, True, 40)
    lucid.random.seed(1)
    ref_losses, _ = _fine_tune(ref, device, False, 40)
    assert np.isfinite(losses).all()
    assert losses[-5:].mean() < 0.5 * losses[:5].mean()
    assert abs(losses[-5:].mean() - ref_losses[-5:].mean()) < 0.15  # float16 compute tracks float32
    assert scaler.get_scale() > 1.0
    assert all(p.dtype == F32 and bool(p.xp.isfinite(p.data).all()) for p in model.parameters())


def test_masked_lm_under_autocast_padded_batch_gives_finite_loss_and_grads(device):
    lucid.random.seed(0)
    model = BERTForMaskedLM(BERTConfig(**SMALL)).to(device).train()
    ids, mask, _ = _padded_batch(device, 3)
    labels = lucid.tensor(np.where(mask.numpy() == 1, ids.numpy(), -100), device=device)
    scaler = lucid.amp.GradScaler(device=device)
    with lucid.amp.autocast(device=device):
        loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
    scaler.scale(loss).backward()
    assert np.isfinite(loss.item())
    for p in model.parameters():
        if p.grad is not None:
            assert bool(p.xp.isfinite(p.grad).all())


def test_half_model_on_device_matches_float32_on_cpu_with_padding(device):
    lucid.random.seed(0)
    model = BERTForSequenceClassification(BERTConfig(**SMALL), num_labels=2).eval()
    ids, mask, _ = _padded_batch(device, 2)
    with lucid.no_grad():
        ref = model(input_ids=ids.to("cpu"), attention_mask=mask.to("cpu")).numpy()
        model.to(device).half()
        out = model(input_ids=ids, attention_mask=mask)
    assert out.dtype == F16 and out.device == device
    got = out.numpy().astype(np.float32)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, ref, atol=2e-2)


def test_half_small_bert_trains_on_device_with_padding_without_nan(device):
    lucid.random.seed(0)
    cfg = BERTConfig(**{**SMALL, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0})
    model = BERTForSequenceClassification(cfg, num_labels=2).to(device).half().train()
    opt = lucid.optim.SGD(model.parameters(), lr=0.05)
    ids, mask, labels = _padded_batch(device)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = model.get_loss(labels=labels, input_ids=ids, attention_mask=mask)
        loss.backward()
        assert all(bool(p.xp.isfinite(p.grad).all()) for p in model.parameters() if p.grad is not None)
        opt.step()
        losses.append(float(loss.item()))
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


# ---- GradScaler against torch.amp.GradScaler ---------------------------------------------
_BAD = {2: np.inf, 3: np.nan, 9: -np.inf}  # step -> value written into one gradient


def _lucid_run(steps, clip=None, device="cpu", momentum=0.9, bad=_BAD, **kw):
    w = nn.Parameter(np.linspace(-1, 1, 6).astype(np.float32), device=device)
    c = lucid.tensor(np.arange(1, 7, dtype=np.float32) / 7, device=device)
    opt = lucid.optim.SGD([w], lr=0.1, momentum=momentum)
    scaler = lucid.amp.GradScaler(device=device, **kw)
    trace = []
    # The run overflows on purpose (a 3e38 scale, infinite gradients written in, their norm
    # clipped); the scaler must cope, and NumPy's warnings about it are expected here.
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            opt.zero_grad()
            scaler.scale((w * w * c).sum()).backward()
            if k in bad:
                w.grad[k % 6] = bad[k]
            if clip:
                scaler.unscale_(opt)
                nn.utils.clip_grad_norm([w], clip)
            scaler.step(opt)
            scaler.update()
            trace.append((scaler.get_scale(), scaler.state_dict()["_growth_tracker"], w.numpy().copy()))
    return trace


def _torch_run(steps, clip=None, momentum=0.9, bad=_BAD, **kw):
    w = torch.nn.Parameter(torch.linspace(-1, 1, 6, dtype=torch.float32))
    c = torch.arange(1, 7, dtype=torch.float32) / 7
    opt = torch.optim.SGD([w], lr=0.1, momentum=momentum)
    scaler = torch.amp.GradScaler("cpu", **kw)
    trace = []
    for k in range(steps):
        opt.zero_grad()
        scaler.scale((w * w * c).sum()).backward()
        if k in bad:
            with torch.no_grad():
                w.grad[k % 6] = bad[k]
        if clip:
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_([w], clip)
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), scaler.state_dict()["_growth_tracker"], w.detach().numpy().copy()))
    return trace


@pytest.mark.parametrize("kw", [
    dict(init_scale=2.0**16, growth_interval=3),
    dict(init_scale=1000.0, growth_factor=3.0, backoff_factor=0.25, growth_interval=2),
    dict(init_scale=3.0e38, growth_interval=1),  # growth would overflow float32: scale kept
])
@pytest.mark.parametrize("clip", [None, 0.05])
def test_grad_scaler_matches_torch_step_by_step(kw, clip):
    ours, theirs = _lucid_run(12, clip, **kw), _torch_run(12, clip, **kw)
    for k, ((s1, t1, w1), (s2, t2, w2)) in enumerate(zip(ours, theirs)):
        assert s1 == s2 and t1 == t2, f"step {k}: scale {s1} vs {s2}, tracker {t1} vs {t2}"
        np.testing.assert_allclose(w1, w2, rtol=1e-6, atol=1e-7, err_msg=f"step {k}")
    assert ours[2][0] < ours[1][0]  # the inf step backed off ...
    np.testing.assert_array_equal(ours[2][2], ours[1][2])  # ... and left the weights alone


def test_grad_scaler_on_device_follows_torch(device):
    # plain SGD, growth every 2 steps, one inf gradient: lucid on ``device`` against torch on the CPU
    bad = {2: np.inf}
    ours = _lucid_run(6, device=device, momentum=0.0, bad=bad, growth_interval=2)
    theirs = _torch_run(6, momentum=0.0, bad=bad, growth_interval=2)
    for k, ((s1, t1, w1), (s2, t2, w2)) in enumerate(zip(ours, theirs)):
        assert s1 == s2 and t1 == t2, f"step {k}: scale {s1} vs {s2}, tracker {t1} vs {t2}"
        np.testing.assert_allclose(w1, w2, rtol=1e-6, err_msg=f"step {k}")


def test_grad_scaler_state_dict_round_trips_and_reads_torch_state():
    ours = lucid.amp.GradScaler(init_scale=512.0, growth_interval=7)
    ref = torch.amp.GradScaler("cpu", init_scale=512.0, growth_interval=7)
    assert ours.state_dict() == ref.state_dict()
    other = lucid.amp.GradScaler()
    other.load_state_dict(ours.state_dict())
    assert other.get_scale() == 512.0 and other.get_growth_interval() == 7
    with pytest.raises(KeyError, match="_growth_tracker"):
        other.load_state_dict({"scale": 1.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 1})


def test_grad_scaler_call_order_and_input_errors():
    w = nn.Parameter([1.0, 2.0])
    opt = lucid.optim.SGD([w], lr=0.1)
    scaler = lucid.amp.GradScaler(device="cpu")
    with pytest.raises(RuntimeError, match="No inf checks"):
        scaler.update()
    scaler.scale(w.sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="after step"):
        scaler.unscale_(opt)
    scaler.update()
    with pytest.raises(TypeError, match="str"):
        scaler.scale("loss")
    for name, bad in (("init_scale", -1.0), ("growth_factor", 0.5), ("backoff_factor", 1.5), ("growth_interval", 0)):
        with pytest.raises(ValueError, match=f"{name}.*{bad}"):
            lucid.amp.GradScaler(**{name: bad})
    h = nn.Parameter(np.ones(2, np.float16))
    h.grad = np.ones(2, np.float16)
    with pytest.raises(ValueError, match="float16 gradients"):
        lucid.amp.GradScaler().unscale_(lucid.optim.SGD([h], lr=0.1))


def test_disabled_grad_scaler_is_a_pass_through():
    w = nn.Parameter([1.0])
    opt = lucid.optim.SGD([w], lr=0.5)
    scaler = lucid.amp.GradScaler(enabled=False)
    loss = (w * w).sum()
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    loss.backward()
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == [0.0]


def test_scale_casts_float16_losses_to_float32_and_keeps_lists():
    scaler = lucid.amp.GradScaler(init_scale=2.0**16)
    big = lucid.tensor([4.0], dtype=lucid.Float16)
    out = scaler.scale(big)
    assert out.dtype == F32 and out.item() == 4.0 * 2**16  # would be inf in float16
    a, b = scaler.scale([lucid.tensor(1.0), lucid.tensor(2.0)])
    assert (a.item(), b.item()) == (2.0**16, 2.0**17)
