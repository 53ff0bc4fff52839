"""BERTConfig: defaults, presets, validation and Hugging Face config.json round trips."""

from __future__ import annotations

import json

import pytest

from lucid.models import BERTConfig


def test_defaults_are_bert_base_uncased():
    cfg = BERTConfig()
    assert (cfg.vocab_size, cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads) == (30522, 768, 12, 12)
    assert (cfg.intermediate_size, cfg.hidden_act, cfg.max_position_embeddings, cfg.type_vocab_size) == (
        3072, "gelu", 512, 2)
    assert cfg.layer_norm_eps == 1e-12 and cfg.initializer_range == 0.02 and cfg.pad_token_id == 0
    assert cfg.classifier_dropout is None and cfg.tie_word_embedding and cfg.add_pooling_layer
    assert cfg.head_dim == 64


def test_base_and_large_with_overrides():
    assert BERTConfig.base() == BERTConfig()
    large = BERTConfig.large(vocab_size=100)
    assert (large.hidden_size, large.num_hidden_layers, large.num_attention_heads, large.intermediate_size) == (
        1024, 24, 16, 4096)
    assert large.vocab_size == 100
    assert BERTConfig.large(num_attention_heads=8).num_attention_heads == 8


@pytest.mark.parametrize("field,value", [
    ("vocab_size", 0), ("hidden_size", -4), ("num_hidden_layers", 0), ("num_attention_heads", 0),
    ("intermediate_size", 0), ("max_position_embeddings", 0), ("type_vocab_size", 0), ("vocab_size", 2.5),
    ("num_hidden_layers", True),
])
def test_sizes_below_one_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        BERTConfig(**{field: value})


def test_hidden_not_divisible_by_heads():
    with pytest.raises(ValueError, match=r"hidden_size \(30\).*num_attention_heads \(4\)"):
        BERTConfig(hidden_size=30, num_attention_heads=4)


@pytest.mark.parametrize("field", ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"])
@pytest.mark.parametrize("value", [-0.1, 1.5, "0.1"])
def test_probabilities_outside_unit_interval(field, value):
    with pytest.raises(ValueError, match=field):
        BERTConfig(**{field: value})


def test_probability_edges_are_valid():
    BERTConfig(hidden_dropout_prob=0.0, attention_probs_dropout_prob=1.0, classifier_dropout=0)


def test_unknown_activation_names_it():
    with pytest.raises(ValueError, match="swishy"):
        BERTConfig(hidden_act="swishy")
    for act in ("gelu", "relu", "tanh", "gelu_new", "gelu_pytorch_tanh"):
        assert BERTConfig(hidden_act=act).hidden_act == act


def test_other_invalid_fields():
    with pytest.raises(ValueError, match="layer_norm_eps"):
        BERTConfig(layer_norm_eps=0)
    with pytest.raises(ValueError, match="initializer_range"):
        BERTConfig(initializer_range=-1.0)
    with pytest.raises(ValueError, match="pad_token_id"):
        BERTConfig(vocab_size=10, pad_token_id=10)
    with pytest.raises(ValueError, match="mask_token_id"):
        BERTConfig(vocab_size=50, mask_token_id=103)
    with pytest.raises(ValueError, match="tie_word_embedding"):
        BERTConfig(tie_word_embedding="yes")


def test_special_token_defaults():
    cfg = BERTConfig()
    assert [cfg.special_token_id(n) for n in ("mask_token_id", "cls_token_id", "sep_token_id", "pad_token_id")] == [
        103, 101, 102, 0]
    cfg = BERTConfig(vocab_size=20, mask_token_id=4, cls_token_id=2, sep_token_id=3, pad_token_id=1)
    assert [cfg.special_token_id(n) for n in ("mask_token_id", "cls_token_id", "sep_token_id", "pad_token_id")] == [
        4, 2, 3, 1]


def test_json_round_trip_keeps_unknown_keys(tmp_path):
    cfg = BERTConfig.from_dict({"vocab_size": 77, "hidden_size": 24, "num_attention_heads": 3,
                                "output_past": True, "id2label": {"0": "neg", "1": "pos"}})
    assert cfg.extra == {"output_past": True}
    assert cfg.id2label == {0: "neg", 1: "pos"} and cfg.label2id == {"neg": 0, "pos": 1}
    path = tmp_path / "config.json"
    cfg.to_json(path, architectures=["BertModel"])
    raw = json.loads(path.read_text())
    assert raw["model_type"] == "bert" and raw["architectures"] == ["BertModel"]
    assert raw["tie_word_embeddings"] is True and "tie_word_embedding" not in raw
    assert raw["output_past"] is True and raw["use_cache"] is False
    back = BERTConfig.from_json(path)
    assert raw["id2label"] == {"0": "neg", "1": "pos"} and raw["label2id"] == {"neg": 0, "pos": 1}
    assert back == cfg and back.id2label == {0: "neg", 1: "pos"}


def test_reads_a_transformers_config_json(tmp_path):
    transformers = pytest.importorskip("transformers")
    hf = transformers.BertConfig(vocab_size=99, hidden_size=48, num_hidden_layers=3, num_attention_heads=6,
                                 intermediate_size=64, hidden_act="gelu_new", layer_norm_eps=1e-7,
                                 tie_word_embeddings=False, classifier_dropout=0.3, num_labels=3)
    hf.save_pretrained(tmp_path)
    cfg = BERTConfig.from_pretrained(tmp_path)
    assert (cfg.vocab_size, cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads) == (99, 48, 3, 6)
    assert cfg.hidden_act == "gelu_new" and cfg.layer_norm_eps == 1e-7 and cfg.classifier_dropout == 0.3
    assert cfg.tie_word_embedding is False
    assert cfg.id2label == {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"} and "id2label" not in cfg.extra


def test_written_config_loads_in_transformers(tmp_path):
    transformers = pytest.importorskip("transformers")
    BERTConfig(vocab_size=64, hidden_size=32, num_attention_heads=4, num_hidden_layers=2,
               tie_word_embedding=False).save_pretrained(tmp_path)
    hf = transformers.BertConfig.from_pretrained(tmp_path)
    assert (hf.vocab_size, hf.hidden_size, hf.num_attention_heads, hf.num_hidden_layers) == (64, 32, 4, 2)
    assert hf.tie_word_embeddings is False


def test_missing_or_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        BERTConfig.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="config.json"):
        BERTConfig.from_json(tmp_path / "config.json")
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        BERTConfig.from_json(tmp_path / "config.json")
    with pytest.raises(ValueError, match="hidden_size"):
        BERTConfig.from_dict({"hidden_size": 10, "num_attention_heads": 4})


def test_replace_validates():
    cfg = BERTConfig(extra={"a": 1})
    assert cfg.replace(num_hidden_layers=2).extra == {"a": 1}
    with pytest.raises(ValueError, match="num_hidden_layers"):
        cfg.replace(num_hidden_layers=0)


@pytest.mark.parametrize("key,value", [("position_embedding_type", "relative_key"), ("model_type", "roberta")])
def test_unsupported_huggingface_options_are_refused(key, value):
    with pytest.raises(ValueError, match=f"{key}={value!r}"):
        BERTConfig.from_dict({key: value})
    BERTConfig.from_dict({"position_embedding_type": "absolute", "is_decoder": False, "model_type": "bert"})


def test_fields_in_the_original_order_and_new_fields():
    # positional construction in the original Lucid's order: vocab, hidden, heads, layers, ffn, act
    cfg = BERTConfig(1000, 64, 4, 2, 128, "relu")
    assert (cfg.vocab_size, cfg.hidden_size, cfg.num_attention_heads, cfg.num_hidden_layers,
            cfg.intermediate_size, cfg.hidden_act) == (1000, 64, 4, 2, 128, "relu")
    cfg = BERTConfig.from_dict({"is_decoder": True, "add_cross_attention": True, "use_cache": True,
                                "chunk_size_feed_forward": 8, "bos_token_id": 5, "eos_token_id": 6})
    assert (cfg.is_decoder, cfg.add_cross_attention, cfg.use_cache, cfg.chunk_size_feed_forward,
            cfg.bos_token_id, cfg.eos_token_id) == (True, True, True, 8, 5, 6)
    assert BERTConfig.base(is_decoder=True, use_cache=True).is_decoder


@pytest.mark.parametrize("name,value", [("initializer_range", float("nan")), ("layer_norm_eps", float("inf")),
                                        ("hidden_dropout_prob", float("nan")), ("chunk_size_feed_forward", -1),
                                        ("is_decoder", 1), ("eos_token_id", 10**6)])
def test_invalid_values_name_the_field(name, value):
    with pytest.raises(ValueError, match=name):
        BERTConfig(**{name: value})


def test_callable_activation_runs_but_cannot_be_saved(tmp_path):
    import lucid
    from lucid.models import BERTForSequenceClassification

    calls = []

    def act(x):
        calls.append(x.shape)
        return x * 0.5

    cfg = BERTConfig(vocab_size=30, hidden_size=8, num_attention_heads=2, num_hidden_layers=1,
                     intermediate_size=16, hidden_act=act)
    model = BERTForSequenceClassification(cfg)
    model(lucid.tensor([[1, 2, 3]]))
    assert calls == [(1, 16)]  # one layer, the last: a classifier needs its [CLS] position only
    with pytest.raises(ValueError, match="hidden_act"):
        cfg.save_pretrained(tmp_path)


@pytest.mark.parametrize("preset,shape", [("tiny", (2, 128, 2, 512)), ("mini", (4, 256, 4, 1024)),
                                          ("small", (4, 512, 8, 2048)), ("medium", (8, 512, 8, 2048)),
                                          ("base", (12, 768, 12, 3072)), ("large", (24, 1024, 16, 4096))])
def test_presets(preset, shape):
    c = getattr(BERTConfig, preset)()
    assert (c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size) == shape


def test_label_fields_either_one_gives_both():
    by_id = BERTConfig(id2label={"1": "pos", "0": "neg"})
    assert by_id.id2label == {0: "neg", 1: "pos"} and by_id.label2id == {"neg": 0, "pos": 1}
    by_name = BERTConfig(label2id={"pos": 1, "neg": 0})
    assert by_name.id2label == {0: "neg", 1: "pos"}
    # a stale label2id (as some checkpoints carry) gives way to id2label, which names the outputs
    stale = BERTConfig.from_dict({"id2label": {"0": "neg", "1": "pos"}, "label2id": {"LABEL_0": 0, "LABEL_1": 1}})
    assert stale.label2id == {"neg": 0, "pos": 1}
    assert BERTConfig().id2label is None and "id2label" not in BERTConfig().to_dict()


@pytest.mark.parametrize("field, value, named", [
    ("id2label", {"x": "neg"}, "'x'"), ("id2label", {1.5: "neg"}, "1.5"), ("id2label", {0: 3}, "3"),
    ("id2label", {-1: "neg"}, "-1"), ("id2label", ["neg"], "['neg']"), ("label2id", {"neg": "0"}, "'0'"),
    ("label2id", "neg", "'neg'"),
])
def test_bad_label_fields_are_named(field, value, named):
    with pytest.raises(ValueError, match=field) as err:
        BERTConfig(**{field: value})
    assert named in str(err.value)


@pytest.mark.parametrize("name, value", [("initializer_range", float("nan")), ("initializer_range", float("inf")),
                                         ("layer_norm_eps", float("inf")), ("layer_norm_eps", float("nan"))])
def test_non_finite_init_range_and_eps_are_refused_everywhere(name, value, tmp_path):
    # a NaN initializer_range would build a NaN model; an infinite eps, a constant one
    message = rf"{name} must be a finite number .*, got {value}"
    with pytest.raises(ValueError, match=message):
        BERTConfig(**{name: value})
    with pytest.raises(ValueError, match=message):
        BERTConfig().replace(**{name: value})
    BERTConfig().save_pretrained(tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**data, name: value}))  # json writes NaN / Infinity
    with pytest.raises(ValueError, match=rf"config\.json.*{message}"):
        BERTConfig.from_pretrained(tmp_path)


def test_id2label_assigned_by_hand_saves_both_maps(tmp_path):
    cfg = BERTConfig(vocab_size=30)
    cfg.id2label = {0: "negative", 1: "positive"}
    cfg.save_pretrained(tmp_path)
    raw = json.loads((tmp_path / "config.json").read_text())
    assert raw["id2label"] == {"0": "negative", "1": "positive"} and raw["label2id"] == {"negative": 0, "positive": 1}
    cfg.id2label = {0: 5}
    with pytest.raises(ValueError, match="id2label.*5"):
        cfg.to_dict()
