"""Packed execution of padded batches: every task class gives, at real positions, the outputs,
losses and gradients of the padded computation (``BERT.packing = False``), reads zeros at
padded positions, and packs only where the result is the same."""

import numpy as np
import pytest

import lucid
from lucid.models import (BERT, BERTConfig, BERTForMaskedLM, BERTForNextSentencePrediction, BERTForPreTraining,
                          BERTForQuestionAnswering, BERTForSentenceEmbedding, BERTForSequenceClassification,
                          BERTForTokenClassification)
from lucid.models.bert._packing import Packing

CFG = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, intermediate_size=24,
           max_position_embeddings=24, type_vocab_size=2)


def _inputs(seed=0, batch=4, seq=9):
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, CFG["vocab_size"], size=(batch, seq))
    mask = np.ones((batch, seq), np.int64)
    for row, n in enumerate([seq, 5, 1, 7][:batch]):
        mask[row, n:] = 0
    ids[mask == 0] = 0
    types = (np.arange(seq)[None] >= 3).astype(np.int64).repeat(batch, 0)
    return ids, mask, types


def _model(cls, dropout=0.0, **kw):
    lucid.random.seed(0)
    cfg = BERTConfig(**CFG, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout, **kw)
    model = cls(cfg).double()
    with lucid.no_grad():  # no parameter trivially 0 or 1
        for p in model.parameters():
            p.data += np.random.default_rng(p.size).standard_normal(p.shape) * 0.05
    return model


def _both(model, fn):
    """``fn(model)`` with packing on, then off, and the parameter gradients after each."""
    results = []
    for pack in (True, False):
        model.zero_grad()
        model._bert().packing = pack
        out = fn(model)
        grads = {n: None if p.grad is None else np.array(p.grad) for n, p in model.named_parameters()}
        results.append((out, grads))
    model._bert().packing = True
    return results


def _per_position(a, mask):
    keep = mask.astype(bool).reshape(mask.shape + (1,) * (a.ndim - 2))
    return np.where(keep, a, 0)


def _loss_fn(cls, ids, mask, types):
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    rng = np.random.default_rng(3)
    tokens = np.where(mask == 1, rng.integers(0, CFG["vocab_size"], ids.shape), -100)
    if cls is BERTForMaskedLM:
        return lambda m: m.get_loss(lucid.tensor(tokens), **kw)
    if cls is BERTForTokenClassification:
        return lambda m: m.get_loss(lucid.tensor(np.where(mask == 1, tokens % 2, -100)), **kw)
    if cls is BERTForPreTraining:
        return lambda m: m.get_loss(lucid.tensor(tokens), lucid.tensor([0, 1, 1, 0]), **kw)
    if cls is BERTForSentenceEmbedding:
        return lambda m: (m(**kw) ** 2).sum()
    return lambda m: m.get_loss(lucid.tensor([0, 1, 1, 0]), **kw)


@pytest.mark.parametrize("cls", [BERTForMaskedLM, BERTForSequenceClassification, BERTForTokenClassification,
                                 BERTForPreTraining, BERTForNextSentencePrediction, BERTForSentenceEmbedding])
def test_task_outputs_losses_and_gradients_equal_the_padded_computation(cls):
    ids, mask, types = _inputs()
    model = _model(cls).train()
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    (packed, _), (padded, _) = _both(model, lambda m: m(**kw))
    packed = packed if isinstance(packed, tuple) else (packed,)
    padded = padded if isinstance(padded, tuple) else (padded,)
    for a, b in zip(packed, padded):
        a, b = a.numpy(), b.numpy()
        if a.ndim == 3:  # per position: equal where real, zeros where padded
            b = _per_position(b, mask)
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    (loss_p, grads_p), (loss_d, grads_d) = _both(model, _loss_fn(cls, ids, mask, types))
    np.testing.assert_allclose(float(loss_p), float(loss_d), rtol=1e-11)
    assert grads_p.keys() == grads_d.keys()
    for name in grads_p:
        if grads_d[name] is None:
            assert grads_p[name] is None, name
        else:
            np.testing.assert_allclose(grads_p[name], grads_d[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_backbone_hidden_states_and_inputs_embeds_gradient():
    ids, mask, _ = _inputs(seed=1)
    model = _model(BERT).train()
    emb = np.random.default_rng(2).standard_normal(ids.shape + (CFG["hidden_size"],))
    pos = np.array([[0, 2, 1, 3, 4, 5, 6, 8, 7]])  # (1, seq): broadcast over the batch

    def run(m):
        x = lucid.tensor(emb, requires_grad=True)
        seq, pooled = m(inputs_embeds=x, attention_mask=lucid.tensor(mask), position_ids=lucid.tensor(pos))
        real = lucid.tensor(mask[..., None].astype(np.float64))
        (((seq * real) ** 2).sum() + pooled.sum()).backward()  # a function of the real positions
        return seq.numpy(), pooled.numpy(), x.grad

    (packed, gp), (padded, gd) = _both(model, run)
    np.testing.assert_allclose(packed[0], _per_position(padded[0], mask), atol=1e-12)
    np.testing.assert_allclose(packed[1], padded[1], atol=1e-12)
    # the padded embeddings' gradient: none packed (never read); the padded computation's real
    # positions do not depend on them either (their keys have no weight)
    np.testing.assert_allclose(packed[2], _per_position(padded[2], mask), atol=1e-11)
    assert not packed[2][mask == 0].any()
    assert gp["embeddings.word_embeddings.weight"] is gd["embeddings.word_embeddings.weight"] is None
    for name in gp:
        if gd[name] is not None:
            np.testing.assert_allclose(gp[name], gd[name], rtol=1e-9, atol=1e-12, err_msg=name)


def test_chunked_feed_forward_packs_too():
    ids, mask, types = _inputs(seed=4)
    model = _model(BERT, chunk_size_feed_forward=3).eval()
    (packed, _), (padded, _) = _both(model, lambda m: m(lucid.tensor(ids), lucid.tensor(mask))[0].numpy())
    np.testing.assert_allclose(packed, _per_position(padded, mask), atol=1e-12)


def test_question_answering_computes_every_position():
    ids, mask, types = _inputs(seed=5)
    model = _model(BERTForQuestionAnswering).eval()
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    (packed, _), (padded, _) = _both(model, lambda m: [t.numpy() for t in m(**kw)])
    for a, b in zip(packed, padded):
        np.testing.assert_array_equal(a, b)  # HF's span loss reads the padded logits too
    assert np.abs(packed[0][mask == 0]).min() > 0


def test_dropout_runs_packed_and_one_seed_reproduces_it():
    ids, mask, types = _inputs(seed=6)
    model = _model(BERTForSequenceClassification, dropout=0.3).train()
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask))
    losses = []
    for _ in range(2):
        lucid.random.seed(11)
        model.zero_grad()
        loss = model.get_loss(lucid.tensor([0, 1, 1, 0]), **kw)
        loss.backward()
        losses.append((float(loss), np.array(model.bert.encoder.layer[0].attention.self.query.weight.grad)))
    assert losses[0][0] == losses[1][0]
    np.testing.assert_array_equal(losses[0][1], losses[1][1])
    model.eval()
    with lucid.no_grad():
        lucid.random.seed(12)
        eval_loss = float(model.get_loss(lucid.tensor([0, 1, 1, 0]), **kw))
    assert eval_loss != losses[0][0]  # train mode dropped something


@pytest.mark.parametrize("mask,packs", [
    (None, True),  # no padding: the rows are a reshape
    ([[1, 1, 1], [1, 1, 0]], True),
    ([[1, 1, 1], [1, 1, 1]], True),
    ([[0, 1, 1], [1, 1, 0]], False),  # left padding: the pooler reads a padded position 0
    ([[1, 0, 1], [1, 1, 0]], True),  # holes are fine: each sequence attends to its real tokens
    ([[[1, 1, 1]] * 3, [[1, 1, 0]] * 3], False),  # a 3-D mask is not a padding mask
])
def test_which_batches_pack(mask, packs):
    m = None if mask is None else lucid.tensor(mask)
    assert (Packing.of(m, 2, 3, "cpu") is not None) == packs
    model = _model(BERT).eval()
    rows, packing = model.hidden_rows(lucid.tensor([[5, 6, 7], [5, 6, 0]]), attention_mask=m)
    assert (packing is not None) == packs
    real = 6 if mask is None or mask[1][2] else 5 if mask[0][1] else 4
    assert rows.shape == ((real, 16) if packs else (2, 3, 16))


def test_holes_in_the_mask_equal_the_padded_computation():
    ids, _, _ = _inputs(seed=8, batch=2, seq=6)
    mask = np.array([[1, 0, 1, 1, 0, 1], [1, 1, 1, 0, 0, 0]])
    model = _model(BERT).eval()
    (packed, _), (padded, _) = _both(model, lambda m: [t.numpy() for t in m(lucid.tensor(ids), lucid.tensor(mask))])
    np.testing.assert_allclose(packed[0], _per_position(padded[0], mask), atol=1e-12)
    np.testing.assert_allclose(packed[1], padded[1], atol=1e-12)


def test_decoder_never_packs():
    model = _model(BERT, is_decoder=True).eval()
    ids, mask, _ = _inputs(seed=9)
    _, packing = model.hidden_rows(lucid.tensor(ids), attention_mask=lucid.tensor(mask))
    assert packing is None


def test_packed_forward_on_the_gpu_equals_the_cpu(device):
    ids, mask, types = _inputs(seed=10)
    model = _model(BERTForMaskedLM).float().eval()
    cpu = model(lucid.tensor(ids), lucid.tensor(mask)).numpy()
    model.to(device)
    got = model(lucid.tensor(ids, device=device), lucid.tensor(mask, device=device)).numpy()
    np.testing.assert_allclose(got, cpu, atol=2e-5)


@pytest.mark.parametrize("cls", [BERTForSequenceClassification, BERTForNextSentencePrediction])
@pytest.mark.parametrize("pack", [True, False])
def test_pooled_tasks_compute_only_the_first_position_in_the_last_layer(cls, pack):
    """The classifier reads the pooled [CLS] features: its forward, loss and gradients equal those
    of the full backbone's pooled output (every position of the last layer computed)."""
    ids, mask, types = _inputs(seed=12)
    model = _model(cls).train()
    model.bert.packing = pack
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask), token_type_ids=lucid.tensor(types))
    head = model.classifier if cls is BERTForSequenceClassification else model.cls
    runs = []
    for full in (False, True):
        model.zero_grad()
        logits = head(model.bert(**kw)[1]) if full else model(**kw)
        (logits * lucid.tensor(np.arange(logits.size, dtype=np.float64).reshape(logits.shape))).sum().backward()
        runs.append((logits.numpy(), {n: np.array(p.grad) for n, p in model.named_parameters() if p.grad is not None}))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-11, atol=1e-12)
    assert runs[0][1].keys() == runs[1][1].keys()
    for name, g in runs[0][1].items():
        np.testing.assert_allclose(g, runs[1][1][name], rtol=1e-9, atol=1e-12, err_msg=name)


class _Wrapped(lucid.nn.Module):  # a module put in a projection's place
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x) * 2.0


@pytest.mark.parametrize("layout", ["padded", "per_head_mask", "packed", "packed_full", "wrapped_key"])
def test_first_query_folds_keys_and_values_exactly_under_dropout(layout):
    """The last layer's first query attends through [W | b] folded into it; with one seed (the same
    dropout mask: both draw (batch, heads, seq) probabilities in that order) its output and every
    gradient equal projecting the keys and values of every position first. A module put in place
    of a projection runs as it is."""
    from lucid.models.bert.modeling import extended_attention_mask

    _, mask, _ = _inputs(seed=14)
    if layout == "packed_full":
        mask[:] = 1
    att = _model(BERT, dropout=0.4).train().encoder.layer[-1].attention.self
    if layout == "wrapped_key":
        att.key = _Wrapped(att.key)
    b, seq = mask.shape
    heads, d = att.num_attention_heads, att.attention_head_size
    rng = np.random.default_rng(15)
    hidden = rng.standard_normal((b, seq, CFG["hidden_size"]))
    ext = extended_attention_mask(lucid.tensor(mask), b, seq, lucid.Float64, "cpu")
    if layout == "per_head_mask":  # a different additive mask per head
        ext = lucid.tensor(ext.numpy() + rng.standard_normal((b, heads, 1, seq)))
    packing = Packing(mask.astype(bool)) if layout.startswith("packed") else None
    keep = mask.astype(bool)

    def folded(h):
        if packing is None:
            return att.first_query(h, ext)
        return att.first_query(h.reshape(b * seq, -1)[lucid.tensor(np.flatnonzero(keep))], None, packing)

    def unfolded(h):
        q = att.query(h[:, 0]).reshape(b, heads, 1, d)
        k, v = att._keys_values(h)
        ctx = lucid.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=ext[:, :, :1], dropout_p=0.4)
        return ctx.reshape(b, -1)

    runs = []
    for fn in (folded, unfolded):
        lucid.random.seed(16)
        att.zero_grad()
        h = lucid.tensor(hidden, requires_grad=True)
        out = fn(h)
        (out * lucid.tensor(np.arange(out.size, dtype=np.float64).reshape(out.shape))).sum().backward()
        grad = np.array(h.grad)
        if packing is not None:
            grad = np.where(keep[..., None], grad, 0.0)  # padded rows: no gradient either way
        runs.append([out.numpy(), grad] + [np.array(p.grad) for p in att.parameters()])
    assert np.abs(runs[0][0]).max() > 0.1
    for got, want in zip(*runs):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_modules_put_in_place_of_the_projections_run_packed_too():
    ids, mask, types = _inputs(seed=17)
    model = _model(BERTForSequenceClassification).eval()
    for layer in model.bert.encoder.layer:
        layer.attention.self.key = _Wrapped(layer.attention.self.key)
    kw = dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask))
    (packed, _), (padded, _) = _both(model, lambda m: m(**kw).numpy())
    np.testing.assert_allclose(packed, padded, atol=1e-12)
    model._bert().packing = False
    for layer in model.bert.encoder.layer:  # the wrapper changed the result: it did run
        layer.attention.self.key = layer.attention.self.key.inner
    assert np.abs(model(**kw).numpy() - padded).max() > 1e-6


def test_pooled_output_with_three_and_four_dimensional_masks_and_a_decoder():
    ids, mask, _ = _inputs(seed=13)
    model = _model(BERT).eval()
    for m in (mask[:, None, :].repeat(ids.shape[1], 1), mask[:, None, None, :].astype(bool)):
        np.testing.assert_allclose(model.pooled_output(lucid.tensor(ids), lucid.tensor(m)).numpy(),
                                   model(lucid.tensor(ids), lucid.tensor(m))[1].numpy(), atol=1e-12)
    decoder = _model(BERT, is_decoder=True).eval()
    np.testing.assert_allclose(decoder.pooled_output(lucid.tensor(ids), lucid.tensor(mask)).numpy(),
                               decoder(lucid.tensor(ids), lucid.tensor(mask))[1].numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="no pooler"):
        _model(BERTForMaskedLM).bert.pooled_output(lucid.tensor(ids))
