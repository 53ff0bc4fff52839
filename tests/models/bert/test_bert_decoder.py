"""The backbone's decoder options: causal self-attention (``is_decoder``), cross-attention to
encoder states (``add_cross_attention``), incremental decoding with a ``lucid.nn.KVCache``
(equal to the full forward), chunked feed-forward (the same output and gradients), and the
errors a caller can hit. Against transformers: tests/parity/test_bert_family_parity.py."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import lucid
from lucid.models import BERT
from lucid.nn import KVCache


def _ids(seed=0, batch=2, seq=9, device="cpu"):
    return lucid.tensor(np.random.default_rng(seed).integers(5, 120, size=(batch, seq)), device=device)


def test_decoder_attends_only_to_earlier_positions(tiny):
    decoder = BERT(tiny(is_decoder=True, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).eval()
    encoder = BERT(tiny(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).eval()
    encoder.load_state_dict(decoder.state_dict())
    ids = _ids()
    changed = ids.numpy().copy()
    changed[:, 6] = 7
    for model, earlier_same in ((decoder, True), (encoder, False)):
        a = model(input_ids=ids)[0].numpy()
        b = model(input_ids=lucid.tensor(changed))[0].numpy()
        assert np.allclose(a[:, :6], b[:, :6], atol=1e-6) == earlier_same
        assert not np.allclose(a[:, 6:], b[:, 6:], atol=1e-3)


def test_incremental_decoding_equals_the_full_forward(tiny, device):
    cfg = tiny(is_decoder=True, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    cpu = BERT(cfg).eval()
    model = copy.deepcopy(cpu).to(device)
    ids = _ids(device=device)
    mask = np.ones((2, 9), dtype=np.int64)
    mask[1, 6:] = 0
    full = model(input_ids=ids, attention_mask=lucid.tensor(mask, device=device))[0].numpy()
    cache = KVCache()
    parts = []
    with lucid.no_grad():
        for a, b in [(0, 3), (3, 4), (4, 9)]:
            out, _ = model(input_ids=ids[:, a:b], attention_mask=lucid.tensor(mask[:, :b], device=device),
                           past_key_values=cache)
            parts.append(out.numpy())
            assert cache.get_seq_length() == b and len(cache) == cfg.num_hidden_layers
    steps = np.concatenate(parts, axis=1)
    real = mask.astype(bool)
    np.testing.assert_allclose(steps[real], full[real], atol=1e-5)
    # the default position ids continue after the cached ones
    explicit = model(input_ids=ids, attention_mask=lucid.tensor(mask, device=device),
                     position_ids=lucid.tensor(np.arange(9)[None], device=device))[0].numpy()
    np.testing.assert_allclose(explicit, full, atol=1e-6)
    np.testing.assert_allclose(full, cpu(input_ids=ids.to("cpu"), attention_mask=lucid.tensor(mask))[0].numpy(),
                               atol=1e-5)


def test_cross_attention_with_a_cache(tiny, device):
    model = BERT(tiny(is_decoder=True, add_cross_attention=True, hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0)).eval().to(device)
    names = [n for n, _ in model.named_parameters()]
    assert "encoder.layer.0.crossattention.self.query.weight" in names
    assert "encoder.layer.1.crossattention.output.LayerNorm.bias" in names
    states = lucid.tensor(np.random.default_rng(1).standard_normal((2, 5, 32)).astype(np.float32), device=device)
    states_mask = lucid.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], device=device)
    ids = _ids(device=device)
    full = model(input_ids=ids, encoder_hidden_states=states, encoder_attention_mask=states_mask)[0].numpy()
    cache = KVCache()
    with lucid.no_grad():
        first = model(input_ids=ids[:, :5], encoder_hidden_states=states, encoder_attention_mask=states_mask,
                      past_key_values=cache)[0]
        keys = cache._cross[0][1]
        rest = model(input_ids=ids[:, 5:], encoder_hidden_states=states, encoder_attention_mask=states_mask,
                     past_key_values=cache)[0]
    assert cache._cross[0][1] is keys  # the encoder states were projected once
    np.testing.assert_allclose(np.concatenate([first.numpy(), rest.numpy()], axis=1), full, atol=1e-5)
    # masked encoder positions do not count
    other = states.numpy().copy()
    other[:, 3:] = 9.0
    again = model(input_ids=ids, encoder_hidden_states=lucid.tensor(other, device=device),
                  encoder_attention_mask=states_mask)[0].numpy()
    np.testing.assert_allclose(again[0], full[0], atol=1e-5)  # row 0 masks source positions 3 and 4
    assert not np.allclose(again[1], full[1], atol=1e-3)  # row 1 reads them
    # without encoder states the layers skip cross-attention, as in Hugging Face
    plain = model(input_ids=ids)[0].numpy()
    assert plain.shape == full.shape and not np.allclose(plain, full, atol=1e-3)


@pytest.mark.parametrize("chunk", [1, 4, 5, 100])
def test_chunked_feed_forward_gives_the_same_output_and_gradients(tiny, chunk):
    lucid.random.seed(0)
    plain = BERT(tiny(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).double()
    chunked = BERT(tiny(chunk_size_feed_forward=chunk, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)).double()
    chunked.load_state_dict(plain.state_dict())
    ids = _ids(seq=11)
    outs = []
    for model in (plain, chunked):
        seq, pooled = model(input_ids=ids)
        (seq.sum() + pooled.sum()).backward()
        outs.append(seq.numpy())
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-12)
    grads = dict(plain.named_parameters())
    for name, p in chunked.named_parameters():
        np.testing.assert_allclose(p.grad, grads[name].grad, atol=1e-10, err_msg=name)


def test_decoder_errors(tiny):
    decoder = BERT(tiny(is_decoder=True))
    encoder = BERT(tiny())
    ids = _ids()
    with pytest.raises(ValueError, match=r"use_cache=True needs past_key_values=lucid.nn.KVCache\(\)"):
        decoder(input_ids=ids, use_cache=True)
    with pytest.raises(ValueError, match="use_cache=False contradicts past_key_values"):
        decoder(input_ids=ids, past_key_values=KVCache(), use_cache=False)
    with pytest.raises(TypeError, match="past_key_values must be a lucid.nn.KVCache, got tuple"):
        decoder(input_ids=ids, past_key_values=())
    with pytest.raises(ValueError, match=r"past_key_values needs a decoder \(config.is_decoder=True\)"):
        encoder(input_ids=ids, past_key_values=KVCache())
    with pytest.raises(ValueError, match="encoder_hidden_states needs a model with cross-attention"):
        decoder(input_ids=ids, encoder_hidden_states=lucid.ones(2, 3, 32))
    with pytest.raises(ValueError, match="encoder_attention_mask was given without encoder_hidden_states"):
        decoder(input_ids=ids, encoder_attention_mask=lucid.ones(2, 3))
    with pytest.raises(ValueError, match="add_cross_attention=True needs is_decoder=True"):
        BERT(tiny(add_cross_attention=True))
    cross = BERT(tiny(is_decoder=True, add_cross_attention=True))
    with pytest.raises(ValueError, match=r"encoder_hidden_states must have shape \(batch=2, source, 32\), "
                                         r"got \(2, 3, 16\)"):
        cross(input_ids=ids, encoder_hidden_states=lucid.ones(2, 3, 16))
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 4\) does not match the input's "
                                         r"\(batch, key\) shape \(2, 3\)"):
        cross(input_ids=ids, encoder_hidden_states=lucid.ones(2, 3, 32), encoder_attention_mask=lucid.ones(2, 4))
    cache = KVCache()
    decoder(input_ids=ids[:, :4], past_key_values=cache)
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 5\) does not match the input's "
                                         r"\(batch, key\) shape \(2, 9\)"):
        decoder(input_ids=ids[:, 4:], attention_mask=lucid.ones(2, 5), past_key_values=cache)
    with pytest.raises(ValueError, match="sequence length 30 after 4 cached positions exceeds "
                                         "max_position_embeddings=32"):
        decoder(input_ids=_ids(seq=30), past_key_values=cache)
