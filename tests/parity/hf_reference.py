"""What the parity tests share: the float32 tolerances, the checkpoint shapes they compare on,
and random-weight ``transformers`` models built from them."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

# float32 tolerances: values are O(1), sums over <= 64 terms
ATOL = 2e-5
GRAD_ATOL = 2e-5

BASE = dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=40, type_vocab_size=2, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0)
CONFIGS = {
    "gelu": dict(BASE),
    "gelu_new-3types-eps": dict(BASE, hidden_act="gelu_new", type_vocab_size=3, layer_norm_eps=1e-5,
                                num_attention_heads=8, num_hidden_layers=3),
    "relu-untied": dict(BASE, hidden_act="relu", tie_word_embeddings=False, hidden_size=24, num_attention_heads=2,
                        intermediate_size=48, pad_token_id=1),
}


def hf_model(cls, cfg, **extra):
    """A ``transformers`` model ``cls`` of config ``cfg`` with seeded random weights (not the
    init's, so that every parameter matters)."""
    torch.manual_seed(0)
    model = cls(transformers.BertConfig(**cfg, **extra, attn_implementation="eager"))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def at_real_positions(ref, mask):
    """A per-position reference output ``(batch, seq, ...)`` with its padded positions (mask 0)
    set to zero: what lucid returns there, since a padded batch runs packed and padding is
    never computed. Comparing against it checks the real positions and the zeros at once."""
    ref = ref.detach().numpy() if hasattr(ref, "detach") else np.asarray(ref)
    keep = np.asarray(mask).astype(bool)
    return np.where(keep.reshape(keep.shape + (1,) * (ref.ndim - 2)), ref, 0).astype(ref.dtype)
