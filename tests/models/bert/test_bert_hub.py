"""Hub downloads (``from_pretrained("org/name")``) against a Hub look-alike on 127.0.0.1."""

from __future__ import annotations

import json
import os
import types

import numpy as np
import pytest

import lucid
from lucid.models import BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast
from lucid.models.bert.hub import download, is_repo_id, resolve_folder

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")
from hub_server import FakeHub, folder_files  # noqa: E402

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "excellent", "bad", "machine",
         "learning", "a", "good", "film"]

REPO = "lucid-test/tiny-bert"
HF_TINY = dict(vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=48, max_position_embeddings=32)


def make_checkpoint(folder, seed=0, cls=None):
    """A random ``transformers`` checkpoint (masked LM by default) with a tokenizer, in ``folder``."""
    torch.manual_seed(seed)
    model = (cls or transformers.BertForMaskedLM)(transformers.BertConfig(**HF_TINY)).eval()
    model.save_pretrained(folder)
    BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(folder)
    return model


@pytest.fixture
def hub(monkeypatch):
    """A running :class:`FakeHub` that ``huggingface_hub`` talks to (``HF_ENDPOINT``), online."""
    import huggingface_hub.file_download as file_download

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    # huggingface_hub waits a second between its retries of a cut download; the tests need not
    monkeypatch.setattr(file_download, "time", types.SimpleNamespace(sleep=lambda s: None))
    with FakeHub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


@pytest.fixture
def published(hub, tmp_path):
    """``(hub, transformers model, commit)``: a tiny masked-LM repository ``REPO`` with pickled
    and other files lucid must not fetch beside the ones it reads."""
    folder = tmp_path / "made"
    model = make_checkpoint(folder)
    files = folder_files(folder)
    files.update({"pytorch_model.bin": b"pickle, never fetched", "README.md": b"# tiny", "onnx/model.onnx": b"x"})
    return hub, model, hub.add(REPO, files)


def hf_logits(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids)).logits.numpy()


IDS = [[2, 5, 6, 7, 8, 3], [2, 9, 10, 4, 11, 3]]


def fetched(hub):
    return {p.rsplit("/", 1)[-1] for method, p in hub.requests if method == "GET" and "/resolve/" in p}


def cache_files(cache):
    return [os.path.relpath(os.path.join(r, n), cache) for r, _, ns in os.walk(cache) for n in ns]


def test_repo_id_downloads_only_what_lucid_reads_and_equals_transformers(published, tmp_path):
    hub, ref, commit = published
    cache = tmp_path / "cache"
    model = BERTForMaskedLM.from_pretrained(REPO, cache_dir=cache)
    np.testing.assert_allclose(model(input_ids=lucid.tensor(IDS)).numpy(), hf_logits(ref, IDS), atol=1e-5)
    assert fetched(hub) == {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json",
                            "tokenizer_config.json", "special_tokens_map.json"}
    snapshot = cache / "models--lucid-test--tiny-bert" / "snapshots" / commit
    assert sorted(os.listdir(snapshot)) == sorted(fetched(hub))
    assert (cache / "models--lucid-test--tiny-bert" / "refs" / "main").read_text() == commit
    # the tokenizer reads the same snapshot
    tok = BERTTokenizerFast.from_pretrained(download(REPO, cache_dir=cache))
    assert tok.convert_tokens_to_ids(["movie"]) == [WORDS.index("movie")]


def test_a_second_load_fetches_nothing_again(published, tmp_path):
    hub, _, _ = published
    BERTForMaskedLM.from_pretrained(REPO, cache_dir=tmp_path)
    hub.requests.clear()
    BERTForMaskedLM.from_pretrained(REPO, cache_dir=tmp_path)
    assert fetched(hub) == set()


def test_revision_branch_and_commit(hub, tmp_path):
    first = make_checkpoint(tmp_path / "a", seed=1)
    second = make_checkpoint(tmp_path / "b", seed=2)
    old = hub.add(REPO, folder_files(tmp_path / "a"), revision="v1")
    hub.add(REPO, folder_files(tmp_path / "b"))
    cache = tmp_path / "cache"
    for revision, ref in (("v1", first), (old, first), (None, second), ("main", second)):
        model = BERTForMaskedLM.from_pretrained(REPO, revision=revision, cache_dir=cache)
        np.testing.assert_allclose(model(input_ids=lucid.tensor(IDS)).numpy(), hf_logits(ref, IDS), atol=1e-5)


def test_sharded_weights_fetch_the_index_and_its_shards(hub, tmp_path):
    from safetensors.numpy import save_file

    ref = make_checkpoint(tmp_path / "made", cls=transformers.BertForSequenceClassification)
    files = folder_files(tmp_path / "made")
    arrays = {k: v.numpy() for k, v in ref.state_dict().items()}
    names = sorted(arrays)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for shard, keys in shards.items():
        save_file({k: arrays[k] for k in keys}, str(tmp_path / shard), metadata={"format": "pt"})
        files[shard] = (tmp_path / shard).read_bytes()
    del files["model.safetensors"]
    files["model.safetensors.index.json"] = json.dumps(
        {"metadata": {}, "weight_map": {k: s for s, keys in shards.items() for k in keys}}).encode()
    hub.add(REPO, files)
    model = BERTForSequenceClassification.from_pretrained(REPO, cache_dir=tmp_path / "cache")
    with torch.no_grad():
        want = ref(input_ids=torch.tensor(IDS)).logits.numpy()
    np.testing.assert_allclose(model(input_ids=lucid.tensor(IDS)).numpy(), want, atol=1e-5)
    assert set(shards) < fetched(hub)


def test_offline_uses_the_cache_and_names_what_is_missing(published, tmp_path, monkeypatch):
    hub, ref, _ = published
    cache = tmp_path / "cache"
    BERTForMaskedLM.from_pretrained(REPO, cache_dir=cache)
    hub.requests.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = BERTForMaskedLM.from_pretrained(REPO, cache_dir=cache)
    np.testing.assert_allclose(model(input_ids=lucid.tensor(IDS)).numpy(), hf_logits(ref, IDS), atol=1e-5)
    assert hub.requests == []
    with pytest.raises(FileNotFoundError, match="HF_HUB_OFFLINE") as err:
        BERTForMaskedLM.from_pretrained("lucid-test/never-downloaded", cache_dir=cache)
    assert "'lucid-test/never-downloaded'" in str(err.value)
    with pytest.raises(FileNotFoundError, match="'v9'"):
        BERTForMaskedLM.from_pretrained(REPO, revision="v9", cache_dir=cache)
    assert hub.requests == []


def test_default_cache_is_huggingface_hubs(published, tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hf-home"))
    BERTForMaskedLM.from_pretrained(REPO)
    assert (tmp_path / "hf-home" / "models--lucid-test--tiny-bert" / "snapshots").is_dir()


@pytest.mark.parametrize("fault", ["error", "cut"])
def test_a_failed_download_names_repo_and_file_and_leaves_no_partial_file(published, tmp_path, fault):
    hub, ref, _ = published
    hub.faults["model.safetensors"] = fault
    cache = tmp_path / "cache"
    with pytest.raises(ConnectionError) as err:
        BERTForMaskedLM.from_pretrained(REPO, cache_dir=cache)
    assert "'model.safetensors'" in str(err.value) and repr(REPO) in str(err.value)
    size = len(folder_files(tmp_path / "made")["model.safetensors"])
    for path in cache_files(cache):
        assert not path.endswith(".incomplete") and not path.endswith("model.safetensors"), path
        assert os.path.getsize(cache / path) != size // 2, path
    # once the Hub serves the file again, the same call succeeds
    hub.faults.clear()
    model = BERTForMaskedLM.from_pretrained(REPO, cache_dir=cache)
    np.testing.assert_allclose(model(input_ids=lucid.tensor(IDS)).numpy(), hf_logits(ref, IDS), atol=1e-5)


def test_a_download_cut_once_resumes(published, tmp_path):
    hub, ref, _ = published
    hub.faults["model.safetensors"] = "cut_once"
    model = BERTForMaskedLM.from_pretrained(REPO, cache_dir=tmp_path)
    np.testing.assert_allclose(model(input_ids=lucid.tensor(IDS)).numpy(), hf_logits(ref, IDS), atol=1e-5)


def test_missing_repo_revision_and_weights_are_named(hub, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist") as err:
        BERTForMaskedLM.from_pretrained("lucid-test/nothing-here", cache_dir=tmp_path)
    assert "'lucid-test/nothing-here'" in str(err.value)
    make_checkpoint(tmp_path / "made")
    files = folder_files(tmp_path / "made")
    hub.add(REPO, files)
    with pytest.raises(FileNotFoundError, match="no such revision") as err:
        BERTForMaskedLM.from_pretrained(REPO, revision="v9", cache_dir=tmp_path)
    assert "'v9'" in str(err.value)
    pickled = {k: v for k, v in files.items() if k != "model.safetensors"}
    pickled["pytorch_model.bin"] = b"pickle"
    hub.add("lucid-test/pickled", pickled)
    with pytest.raises(FileNotFoundError, match="no safetensors weights.*pytorch_model.bin"):
        BERTForMaskedLM.from_pretrained("lucid-test/pickled", cache_dir=tmp_path)
    assert "pytorch_model.bin" not in fetched(hub)
    hub.add("lucid-test/no-config", {"model.safetensors": files["model.safetensors"]})
    with pytest.raises(FileNotFoundError, match="no config.json"):
        BERTForMaskedLM.from_pretrained("lucid-test/no-config", cache_dir=tmp_path)


def test_unreachable_hub_is_a_connection_error_naming_the_repo(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    with FakeHub() as dead:
        url = dead.url  # a port that nothing listens on once the server is gone
    monkeypatch.setenv("HF_ENDPOINT", url)
    with pytest.raises(ConnectionError, match="could not reach the Hub") as err:
        download(REPO, cache_dir=tmp_path)
    assert repr(REPO) in str(err.value)


def test_a_local_folder_wins_over_a_repo_id(published, tmp_path, monkeypatch):
    hub, _, _ = published
    monkeypatch.chdir(tmp_path)
    make_checkpoint(tmp_path / "lucid-test" / "tiny-bert", seed=5)
    hub.requests.clear()
    assert resolve_folder(REPO) == REPO
    BERTForMaskedLM.from_pretrained(REPO)
    assert hub.requests == []


def test_repo_id_spelling():
    assert is_repo_id("bert-base-uncased") and is_repo_id("org/name.v2")
    assert not any(is_repo_id(s) for s in ("/abs/path", "a/b/c", "../x", "org/..", "", "org/"))
    with pytest.raises(ValueError, match="'a/b/c'"):
        download("a/b/c")


# ---- the tokenizer ---------------------------------------------------------------------------
TOKENIZER_FILES = {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}
TEXTS = ["The movie is excellent!", "a good film", "machine learning [MASK] bad zebra"]


def hf_ids(folder, texts=TEXTS):
    return transformers.BertTokenizerFast.from_pretrained(str(folder))(texts)["input_ids"]


def test_tokenizer_from_a_repo_id_fetches_only_tokenizer_files_and_equals_transformers(published, tmp_path):
    hub, _, commit = published
    cache = tmp_path / "cache"
    tok = BERTTokenizerFast.from_pretrained(REPO, cache_dir=cache)
    assert tok.batch_encode(TEXTS) == hf_ids(tmp_path / "made")
    assert fetched(hub) == TOKENIZER_FILES
    snapshot = cache / "models--lucid-test--tiny-bert" / "snapshots" / commit
    assert set(os.listdir(snapshot)) == TOKENIZER_FILES
    # the model download afterwards completes the same snapshot, fetching the tokenizer files no more
    hub.requests.clear()
    BERTForMaskedLM.from_pretrained(REPO, cache_dir=cache)
    assert fetched(hub) == {"config.json", "model.safetensors"}


def test_tokenizer_revision_and_options(hub, tmp_path):
    old = hub.add(REPO, {"vocab.txt": "\n".join(WORDS).encode()}, revision="v1")
    cased = BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS + ["Movie"])}, lowercase=False)
    cased.save_pretrained(tmp_path / "cased")
    hub.add(REPO, folder_files(tmp_path / "cased"))
    cache = tmp_path / "cache"
    for revision in ("v1", old):
        tok = BERTTokenizerFast.from_pretrained(REPO, revision=revision, cache_dir=cache)
        assert tok.lowercase and tok.encode("Movie", False) == [WORDS.index("movie")]
    tok = BERTTokenizerFast.from_pretrained(REPO, cache_dir=cache)
    assert not tok.lowercase and tok.encode("Movie", False) == [len(WORDS)]
    assert tok.encode("Movie", False) == hf_ids(tmp_path / "cased", ["Movie"])[0][1:-1]
    # keyword overrides still apply on top of the downloaded files
    assert BERTTokenizerFast.from_pretrained(REPO, cache_dir=cache, lowercase=True).encode("Movie", False) == [6]


def test_tokenizer_from_a_weights_entry_uses_its_pinned_commit(hub, tmp_path):
    entry = types.SimpleNamespace(repo_id=REPO, revision="ab" * 20)
    hub.add(REPO, {"vocab.txt": "\n".join(WORDS).encode()}, revision="old-branch", commit=entry.revision)
    hub.add(REPO, {"vocab.txt": "\n".join(WORDS[::-1]).encode()})  # main moved on; the pin must not follow
    tok = BERTTokenizerFast.from_pretrained(entry, cache_dir=tmp_path)
    assert tok.convert_tokens_to_ids(["movie"]) == [WORDS.index("movie")]
    assert all(f"/resolve/{entry.revision}/" in p or "/api/" in p for _, p in hub.requests)


def test_tokenizer_offline_reads_the_cache_and_names_what_is_missing(published, tmp_path, monkeypatch):
    hub, _, _ = published
    cache = tmp_path / "cache"
    want = BERTTokenizerFast.from_pretrained(REPO, cache_dir=cache).batch_encode(TEXTS)
    hub.requests.clear()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert BERTTokenizerFast.from_pretrained(REPO, cache_dir=cache).batch_encode(TEXTS) == want
    with pytest.raises(FileNotFoundError, match="HF_HUB_OFFLINE") as err:
        BERTTokenizerFast.from_pretrained("lucid-test/never-downloaded", cache_dir=cache)
    assert "'lucid-test/never-downloaded'" in str(err.value)
    with pytest.raises(FileNotFoundError, match="'v9'"):
        BERTTokenizerFast.from_pretrained(REPO, revision="v9", cache_dir=cache)
    assert hub.requests == []


def test_tokenizer_offline_after_a_model_download(published, tmp_path, monkeypatch):
    hub, _, _ = published
    BERTForMaskedLM.from_pretrained(REPO, cache_dir=tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.requests.clear()
    assert BERTTokenizerFast.from_pretrained(REPO, cache_dir=tmp_path).batch_encode(TEXTS) == hf_ids(tmp_path / "made")
    assert hub.requests == []


def test_tokenizer_local_folder_wins_over_a_repo_id(published, tmp_path, monkeypatch):
    hub, _, _ = published
    monkeypatch.chdir(tmp_path)
    local = tmp_path / "lucid-test" / "tiny-bert"
    BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS[::-1])}).save_pretrained(local)
    hub.requests.clear()
    tok = BERTTokenizerFast.from_pretrained(REPO)
    assert tok.convert_tokens_to_ids(["[PAD]"]) == [len(WORDS) - 1]
    assert hub.requests == []


def test_tokenizer_hub_errors_name_repo_and_file(published, tmp_path):
    hub, _, _ = published
    cache = tmp_path / "cache"
    with pytest.raises(FileNotFoundError, match="does not exist") as err:
        BERTTokenizerFast.from_pretrained("lucid-test/nothing-here", cache_dir=cache)
    assert "'lucid-test/nothing-here'" in str(err.value)
    hub.add("lucid-test/no-tokenizer", {"config.json": b"{}", "model.safetensors": b"x"})
    with pytest.raises(FileNotFoundError, match="no vocab.txt or tokenizer.json") as err:
        BERTTokenizerFast.from_pretrained("lucid-test/no-tokenizer", cache_dir=cache)
    assert "'lucid-test/no-tokenizer'" in str(err.value) and "'main'" in str(err.value)
    hub.faults["tokenizer.json"] = "error"
    with pytest.raises(ConnectionError) as err:
        BERTTokenizerFast.from_pretrained(REPO, cache_dir=cache)
    assert "'tokenizer.json'" in str(err.value) and repr(REPO) in str(err.value)
    assert not any(p.endswith("tokenizer.json") or p.endswith(".incomplete") for p in cache_files(cache))
