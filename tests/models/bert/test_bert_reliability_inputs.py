"""Reliability: bad model inputs fail with the right exception type and a message naming the
offending value (id, length, argument, label, devices), for the forward and the helpers of
BERT, BERTForMaskedLM and BERTForSequenceClassification."""

import numpy as np
import pytest

import lucid
from lucid.models import BERT, BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast
from lucid.models.bert import _task, modeling

CFG = BERTConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                 max_position_embeddings=8, type_vocab_size=2)
IDS = [[2, 5, 6, 3], [2, 7, 3, 0]]
MASK = [[1, 1, 1, 1], [1, 1, 1, 0]]


@pytest.fixture(scope="module")
def models():
    lucid.random.seed(0)
    ms = {"BERT": BERT(CFG), "MLM": BERTForMaskedLM(CFG), "CLS": BERTForSequenceClassification(CFG, num_labels=3)}
    return {k: m.eval() for k, m in ms.items()}  # no dropout: outputs comparable between calls


def _calls(models):
    """Every entry point that takes model inputs: (name, fn(**inputs))."""
    mlm, clf = models["MLM"], models["CLS"]
    lab_mlm = [[-100, 5, -100, -100], [-100, -100, 7, -100]]
    return [
        ("BERT.forward", lambda **kw: models["BERT"](**kw)),
        ("MLM.forward", lambda **kw: mlm(**kw)),
        ("MLM.get_loss", lambda **kw: mlm.get_loss(labels=lab_mlm, **kw)),
        ("MLM.predict_token_ids", lambda **kw: mlm.predict_token_ids(**kw)),
        ("MLM.get_accuracy", lambda **kw: mlm.get_accuracy(labels=lab_mlm, **kw)),
        ("CLS.forward", lambda **kw: clf(**kw)),
        ("CLS.get_loss", lambda **kw: clf.get_loss(labels=[0, 2], **kw)),
        ("CLS.predict_labels", lambda **kw: clf.predict_labels(**kw)),
        ("CLS.predict_proba", lambda **kw: clf.predict_proba(**kw)),
        ("CLS.get_accuracy", lambda **kw: clf.get_accuracy(labels=[0, 2], **kw)),
    ]


ENTRY_NAMES = [n for n, _ in _calls({"BERT": None, "MLM": None, "CLS": None})]


def _entry(models, name):
    return dict(_calls(models))[name]


def test_valid_inputs_pass_everywhere(models):
    # the baseline the failure cases below modify: each entry point accepts it
    for name, fn in _calls(models):
        fn(input_ids=lucid.tensor(IDS), attention_mask=lucid.tensor(MASK))


# ---- token ids --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ENTRY_NAMES)
@pytest.mark.parametrize("bad", [30, 31, 1000, -1, -7])
def test_id_out_of_vocabulary_names_the_id(models, name, bad):
    ids = [[2, 5, bad, 3], [2, 7, 3, 0]]
    with pytest.raises((IndexError, ValueError), match=rf"input_ids holds id {bad}\b.*vocab_size=30"):
        _entry(models, name)(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(MASK))


def test_id_out_of_vocabulary_as_list_and_numpy(models):
    with pytest.raises(IndexError, match="input_ids holds id 30"):
        models["BERT"](input_ids=[[1, 30]])
    with pytest.raises(IndexError, match="input_ids holds id -2"):
        models["CLS"](input_ids=np.array([[1, -2]], dtype=np.int32))


def test_create_masked_lm_inputs_checks_ids(models):
    with pytest.raises(IndexError, match=r"input_ids holds id 99\b.*vocab_size=30"):
        models["MLM"].create_masked_lm_inputs(lucid.tensor([[1, 99]]), mask_token_id=4)
    with pytest.raises(TypeError, match="input_ids must be integer token ids, got dtype float"):
        models["MLM"].create_masked_lm_inputs([[1.0, 2.0]], mask_token_id=4)
    with pytest.raises(ValueError, match=r"2-D \(batch, sequence\), got shape \(2,\)"):
        models["MLM"].create_masked_lm_inputs([1, 2], mask_token_id=4)


@pytest.mark.parametrize("name", ENTRY_NAMES)
@pytest.mark.parametrize("ids, dtype", [
    (lucid.tensor([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]), "float32"),
    (lucid.tensor([[1.5, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]], dtype=lucid.Float64), "float64"),
    ([[1.5, 2, 3, 4], [1, 2, 3, 4]], "float32"),
    (lucid.tensor([[True, False, True, True], [True, True, True, True]]), "bool"),
])
def test_non_integer_ids_raise_type_error(models, name, ids, dtype):
    with pytest.raises(TypeError, match=f"input_ids must be an integer tensor, got dtype {dtype}"):
        _entry(models, name)(input_ids=ids)


def test_ids_that_are_not_numbers_raise_type_error(models):
    with pytest.raises(TypeError, match="input_ids must be integer token ids.*got str"):
        models["BERT"](input_ids="hello world")
    with pytest.raises(TypeError, match="token_type_ids must be an integer tensor, got dtype float32"):
        models["BERT"](input_ids=IDS, token_type_ids=lucid.zeros(2, 4))
    with pytest.raises(TypeError, match="position_ids must be an integer tensor"):
        models["BERT"](input_ids=IDS, position_ids=[[0.5, 1, 2, 3]])


@pytest.mark.parametrize("name", ENTRY_NAMES)
@pytest.mark.parametrize("shape", [(4,), (1, 2, 4), (1, 1, 1, 4)])
def test_wrong_number_of_dimensions_says_2d(models, name, shape):
    ids = lucid.tensor(np.ones(shape, dtype=np.int64))
    with pytest.raises(ValueError, match=rf"input_ids must be 2-D \(batch, sequence\), got shape {re_shape(shape)}"):
        _entry(models, name)(input_ids=ids)


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_too_long_sequence_names_both_lengths(models, name):
    ids = lucid.tensor(np.full((2, 9), 5, dtype=np.int64))
    with pytest.raises(ValueError, match=r"sequence length 9 exceeds max_position_embeddings=8"):
        _entry(models, name)(input_ids=ids)


def test_too_long_inputs_embeds_names_both_lengths(models):
    with pytest.raises(ValueError, match=r"sequence length 12 exceeds max_position_embeddings=8"):
        models["BERT"](inputs_embeds=lucid.zeros(1, 12, 8))


def test_empty_input_is_refused(models):
    with pytest.raises(ValueError, match=r"input of shape \(2, 0\) is empty"):
        models["BERT"](input_ids=lucid.tensor(np.zeros((2, 0), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"input of shape \(0, 3\) is empty"):
        models["CLS"](input_ids=lucid.tensor(np.zeros((0, 3), dtype=np.int64)))


# ---- masks and type ids -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ENTRY_NAMES)
@pytest.mark.parametrize("shape", [(2, 5), (2, 3), (1, 4), (3, 4), (2, 4, 5), (2, 5, 4), (3, 1, 4, 4),
                                   (2, 1, 4, 5), (2, 1, 3, 4), (4,), (1, 1, 1, 1, 4)])
def test_attention_mask_of_wrong_shape_names_the_argument(models, name, shape):
    with pytest.raises(ValueError, match=rf"attention_mask (of shape|must have).*{re_shape(shape)}"):
        _entry(models, name)(input_ids=lucid.tensor(IDS), attention_mask=lucid.ones(*shape))


@pytest.mark.parametrize("arg", ["token_type_ids", "position_ids"])
@pytest.mark.parametrize("shape", [(2, 5), (2, 3), (3, 4), (4,), (2, 4, 1), (2, 1)])
@pytest.mark.parametrize("name", ["BERT.forward", "MLM.get_loss", "CLS.predict_proba"])
def test_type_and_position_ids_of_wrong_shape_name_the_argument(models, name, arg, shape):
    bad = lucid.tensor(np.zeros(shape, dtype=np.int64))
    with pytest.raises(ValueError, match=rf"{arg} of shape {re_shape(shape)} does not match .* \(2, 4\)"):
        _entry(models, name)(input_ids=lucid.tensor(IDS), **{arg: bad})


def test_type_and_position_ids_broadcast_over_the_batch(models):
    ref = models["BERT"](input_ids=lucid.tensor(IDS))[0].numpy()
    got = models["BERT"](input_ids=lucid.tensor(IDS), token_type_ids=lucid.tensor([[0, 0, 0, 0]]),
                         position_ids=lucid.tensor([[0, 1, 2, 3]]))[0].numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("arg, bad, field, bound", [
    ("token_type_ids", 2, "type_vocab_size", 2), ("token_type_ids", -1, "type_vocab_size", 2),
    ("position_ids", 8, "max_position_embeddings", 8), ("position_ids", -3, "max_position_embeddings", 8),
])
def test_type_and_position_ids_out_of_range_name_the_id(models, arg, bad, field, bound):
    ids = np.zeros((2, 4), dtype=np.int64)
    ids[1, 2] = bad
    with pytest.raises(IndexError, match=rf"{arg} holds id {bad}\b, outside \[0, {bound}\) \({field}={bound}\)"):
        models["CLS"](input_ids=lucid.tensor(IDS), **{arg: lucid.tensor(ids)})


# ---- labels -----------------------------------------------------------------------------------
@pytest.mark.parametrize("labels, bad", [([0, 3], 3), ([-1, 0], -1), ([2, 17], 17)])
def test_class_labels_out_of_range_name_the_label(models, labels, bad):
    clf = models["CLS"]
    for fn in (clf.get_loss, clf.get_accuracy):
        with pytest.raises(ValueError, match=rf"class labels must be in \[0, 3\), got {bad}\b"):
            fn(labels=labels, input_ids=IDS, attention_mask=MASK)


def test_class_labels_out_of_range_from_text(models):
    tok = BERTTokenizerFast(vocab={t: i for i, t in enumerate(
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad"])})
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 3\), got 5\b"):
        models["CLS"].get_loss_from_text(tok, ["good", "bad"], labels=[0, 5])
    with pytest.raises(TypeError, match="text_a must be a string or a list of strings, got NoneType"):
        models["CLS"].predict_labels_from_text(tok, None)
    with pytest.raises(TypeError, match="text_a must be a string or a list of strings, got int"):
        models["MLM"].get_loss_from_text(tok, 5)


def test_class_labels_of_wrong_count_or_type(models):
    clf = models["CLS"]
    with pytest.raises(ValueError, match="got 3 labels for a batch of 2"):
        clf.get_loss(labels=[0, 1, 2], input_ids=IDS)
    with pytest.raises(TypeError, match="labels must be ints, floats or a tensor, got list"):
        clf.get_loss(labels=["a", "b"], input_ids=IDS)


@pytest.mark.parametrize("bad", [30, -2, 500])
def test_mlm_labels_out_of_range_name_the_label(models, bad):
    labels = [[-100, bad, -100, -100], [-100, -100, -100, -100]]
    for fn in (models["MLM"].get_loss, models["MLM"].get_accuracy):
        with pytest.raises(ValueError, match=rf"labels must be token ids in \[0, 30\) or -100, got {bad}\b"):
            fn(labels=labels, input_ids=IDS)


# ---- devices (no GPU here: the model pretends to live on "gpu", the inputs stay on "cpu") -------
@pytest.fixture
def gpu_model(models, monkeypatch):
    monkeypatch.setattr(BERT, "device", property(lambda self: "gpu"))
    return models


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_input_on_another_device_names_both(gpu_model, name):
    with pytest.raises(RuntimeError, match=r"'gpu' \(the model\) and 'cpu' \(input_ids\)"):
        _entry(gpu_model, name)(input_ids=lucid.tensor(IDS))


@pytest.mark.parametrize("arg", ["token_type_ids", "position_ids"])
def test_type_and_position_ids_on_another_device_name_both(gpu_model, arg):
    # the check the forward runs on every id argument, called directly
    with pytest.raises(RuntimeError, match=rf"'gpu' \(the model\) and 'cpu' \({arg}\)"):
        gpu_model["BERT"]._as_ids(lucid.tensor(np.zeros((2, 4), dtype=np.int64)), arg)


def test_mask_and_labels_on_another_device_name_both():
    with pytest.raises(RuntimeError, match=r"'gpu' \(the model\) and 'cpu' \(attention_mask\)"):
        modeling.extended_attention_mask(lucid.tensor(MASK), 2, 4, lucid.Float32, "gpu")
    with pytest.raises(RuntimeError, match=r"'gpu' \(the model\) and 'cpu' \(labels\)"):
        _task.as_label_tensor(lucid.tensor([0, 1]), "gpu")


def test_exactly_one_of_ids_and_embeds(models):
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        models["CLS"]()
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        models["MLM"](input_ids=IDS, inputs_embeds=lucid.zeros(2, 4, 8))


# ---- masks holding None, text that is not valid Unicode -----------------------------------------
@pytest.mark.parametrize("mask", [[[1, 1, None, 1], [1, 1, 1, 0]], np.array([[1, 1, 1, 1], [1, None, 1, 0]])],
                         ids=["list", "object-array"])
def test_attention_mask_holding_none_is_a_type_error(models, mask):
    # NumPy makes an object array of it, whose None reads as False: "masked", a silent wrong result
    for name, fn in _calls(models):
        with pytest.raises(TypeError, match=r"attention_mask must hold numbers .*got None"):
            fn(input_ids=IDS, attention_mask=mask)
    with pytest.raises(TypeError, match=r"attention_mask must hold numbers .*got None"):
        models["MLM"].create_masked_lm_inputs(lucid.tensor(IDS), mask, mask_token_id=4)
    with pytest.raises(TypeError, match=r"special_tokens_mask must hold numbers .*got None"):
        models["MLM"].create_masked_lm_inputs(lucid.tensor(IDS), special_tokens_mask=mask, mask_token_id=4)


def test_text_that_is_not_valid_unicode_names_the_text(models):
    tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"])})
    with pytest.raises(ValueError, match=r"texts\[1\] is not valid Unicode: it holds the lone surrogate "
                                         r"'\\ud800' at index 2"):
        models["CLS"].predict_labels_from_text(tok, ["a", "a \ud800"])
    with pytest.raises(ValueError, match=r"text_pairs\[0\] is not valid Unicode"):
        models["MLM"].get_loss_from_text(tok, ["a"], ["\udfff"])
