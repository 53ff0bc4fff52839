"""Tokenizer folders: the Hugging Face layout and the original-Lucid one.

A folder holds ``vocab.txt`` (one token per line; the line number is the id) and/or ``tokenizer.json``
(the Rust pipeline, vocabulary included), with ``tokenizer_config.json`` and
``special_tokens_map.json`` for the options and special tokens. ``transformers`` writes and reads the
same four files; older lucid folders keep ``lowercase`` instead of ``do_lower_case`` in the config.
"""

from __future__ import annotations

import json
import os

from ....serialization import atomic_write_files
from .arguments import type_name
from .pipeline import DEFAULT_SPECIALS, SPECIAL_ROLES

# The options tokenizer_config.json may set, under the constructor's own names.
_CONFIG_KEYS = ("strip_accents", "tokenize_chinese_chars", "model_max_length", "wordpieces_prefix",
                "max_input_chars_per_word", "clean_text")
# tokenizer.json's BertNormalizer fields under the constructor's names.
_NORMALIZER_KEYS = (("clean_text", "clean_text"), ("tokenize_chinese_chars", "handle_chinese_chars"),
                    ("strip_accents", "strip_accents"), ("lowercase", "lowercase"))


def read_vocab_txt(path) -> dict[str, int]:
    """The vocabulary of a ``vocab.txt``, read as ``transformers``' ``load_vocab`` reads it: one token
    per line (universal newlines), a token's id is its line number, a repeated token keeps its last line.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "vocab.txt")
        >>> with open(path, "w") as f:
        ...     _ = f.write("[PAD]\\nhi\\n[PAD]\\n")
        >>> read_vocab_txt(path)
        {'[PAD]': 2, 'hi': 1}
    """
    try:
        with open(path, encoding="utf-8") as f:
            return {line.rstrip("\n"): i for i, line in enumerate(f.readlines())}
    except UnicodeDecodeError as err:
        raise ValueError(f"{os.fspath(path)!r} is not a UTF-8 text vocabulary (one token per line): {err}") from err


def read_json(path) -> dict:
    """The JSON object in the file ``path``; bad JSON, bad UTF-8 or another JSON value is a
    ``ValueError`` naming the file.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "c.json")
        >>> with open(path, "w") as f:
        ...     _ = f.write('{"do_lower_case": false}')
        >>> read_json(path)
        {'do_lower_case': False}
    """
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except ValueError as err:  # bad JSON or bad UTF-8
        raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"{os.fspath(path)!r} must hold a JSON object, got {type_name(data)}")
    return data


def token_content(value, where):
    """A special token as written in a config: a string, or a dict with ``content`` (an AddedToken).

    Example:
        >>> token_content({"content": "[MASK]", "lstrip": True}, "config"), token_content("[CLS]", "config")
        ('[MASK]', '[CLS]')
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    raise ValueError(f"{where}: a special token must be a string or an object with 'content', got {value!r}")


def save(folder, tok, id_to_token, tokenizer_json) -> list[str]:
    """Write ``vocab.txt``, ``tokenizer.json``, ``tokenizer_config.json`` and ``special_tokens_map.json``
    of ``tok`` into ``folder`` (made if missing) as one atomic save; returns their paths.
    ``id_to_token`` is the token of each id (``None`` in a gap), ``tokenizer_json`` the Rust pipeline.

    Example:
        >>> import os, tempfile
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> ids = tok.convert_ids_to_tokens(list(range(5)))
        >>> paths = save(tempfile.mkdtemp(), tok, ids, "{}")
        >>> [os.path.basename(p) for p in paths]
        ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']
    """
    folder = os.fspath(folder)
    for token in tok.get_vocab():
        if "\n" in token or "\r" in token:
            raise ValueError(f"token {token!r} holds a line break and cannot be written to vocab.txt")
    os.makedirs(folder, exist_ok=True)
    # A gap in the ids gets a copy of the last token: reading keeps a repeated token's last line, so
    # the file reads back to exactly this vocabulary.
    last = id_to_token[-1]
    lines = [last if t is None else t for t in id_to_token]
    config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": tok.lowercase,
        "strip_accents": tok.strip_accents,
        "tokenize_chinese_chars": tok.tokenize_chinese_chars,
        "model_max_length": tok.model_max_length,
        "clean_up_tokenization_spaces": False,  # the WordPiece decoder already does this cleanup
        "unk_token": tok.unk_token, "sep_token": tok.sep_token, "pad_token": tok.pad_token,
        "cls_token": tok.cls_token, "mask_token": tok.mask_token,
        "wordpieces_prefix": tok.wordpieces_prefix,
        "max_input_chars_per_word": tok.max_input_chars_per_word,
        "clean_text": tok.clean_text,
    }
    special_map = {role: getattr(tok, role) for role in
                   ("unk_token", "sep_token", "pad_token", "cls_token", "mask_token")}
    files = {
        "vocab.txt": ("\n".join(lines) + "\n").encode("utf-8"),
        "tokenizer.json": tokenizer_json.encode("utf-8"),
        "tokenizer_config.json": json.dumps(config, indent=2, ensure_ascii=False).encode("utf-8"),
        "special_tokens_map.json": json.dumps(special_map, indent=2, ensure_ascii=False).encode("utf-8"),
    }
    # staged together: a failure part way leaves every previous file of the folder intact
    paths = {os.path.join(folder, name): data for name, data in files.items()}
    atomic_write_files(paths)
    return list(paths)


def _locate(path):
    """``(folder, vocab.txt or None, tokenizer.json or None)`` for a folder or a file named directly."""
    vocab_txt = tok_json = None
    if os.path.isfile(path):
        base = os.path.dirname(os.path.abspath(path))
        if path.endswith(".json"):
            tok_json = path
        else:
            vocab_txt = path
    elif os.path.isdir(path):
        base = path
        if os.path.isfile(os.path.join(base, "tokenizer.json")):
            tok_json = os.path.join(base, "tokenizer.json")
        if os.path.isfile(os.path.join(base, "vocab.txt")):
            vocab_txt = os.path.join(base, "vocab.txt")
        if tok_json is None and vocab_txt is None:
            raise FileNotFoundError(f"no vocabulary in folder {path!r}: expected vocab.txt or tokenizer.json")
    else:
        raise FileNotFoundError(f"tokenizer folder {path!r} does not exist")
    return base, vocab_txt, tok_json


def _read_tokenizer_json(path):
    """``(vocab, settings, special tokens, added tokens)`` from a ``tokenizer.json``; the added tokens
    map token -> ``(id, path)``, to be checked against the vocabulary."""
    data = read_json(path)
    settings, specials, added = {}, {}, {}
    model = data.get("model") or {}
    if model.get("type") not in (None, "WordPiece"):
        raise ValueError(f"{path!r} holds a {model.get('type')!r} model, not WordPiece")
    vocab = model.get("vocab")
    if isinstance(vocab, list):  # an older list form: the position is the id
        vocab = {(t[0] if isinstance(t, list) else t): i for i, t in enumerate(vocab)}
    if not isinstance(vocab, dict):
        raise ValueError(f"{path!r} has no WordPiece vocabulary")
    if "unk_token" in model:
        specials["unk_token"] = model["unk_token"]
    if "continuing_subword_prefix" in model:
        settings["wordpieces_prefix"] = model["continuing_subword_prefix"]
    if "max_input_chars_per_word" in model:
        settings["max_input_chars_per_word"] = model["max_input_chars_per_word"]
    norm = data.get("normalizer") or {}
    if norm.get("type") == "BertNormalizer":
        for ours, theirs in _NORMALIZER_KEYS:
            if theirs in norm:
                settings[ours] = norm[theirs]
    post = data.get("post_processor") or {}
    if post.get("type") == "TemplateProcessing":
        single = [p["SpecialToken"]["id"] for p in post.get("single", []) if "SpecialToken" in p]
        if len(single) == 2:
            specials["cls_token"], specials["sep_token"] = single
        for spec in (post.get("special_tokens") or {}).values():
            if spec.get("ids") and len(spec.get("tokens", [])) == 1:
                added[spec["tokens"][0]] = (spec["ids"][0], path)
    for entry in data.get("added_tokens") or []:
        added[entry.get("content")] = (entry.get("id"), path)
    return vocab, settings, specials, added


def _config_settings(config):
    """The constructor options ``tokenizer_config.json`` sets."""
    settings = {}
    if "lowercase" in config:  # lucid's own older key
        settings["lowercase"] = config["lowercase"]
    if "do_lower_case" in config:
        settings["lowercase"] = config["do_lower_case"]
    for key in _CONFIG_KEYS:
        if key in config:
            settings[key] = config[key]
    if "model_max_length" in settings and settings["model_max_length"] is None:
        del settings["model_max_length"]
    return settings


def _special_tokens(configs, json_specials, tok_json, overrides):
    """Each special token the files name (``configs``: ``(path, tokenizer_config.json or
    special_tokens_map.json)``, then ``tokenizer.json``'s), the files agreeing. A role given in
    ``overrides`` is left to that, though the configs' entries for it are still checked."""
    settings = {}
    for role in SPECIAL_ROLES:
        candidates = []
        for where, source in configs:
            if source.get(role) is not None:
                candidates.append((token_content(source[role], f"{where}: {role}"), where))
        if role in json_specials:
            candidates.append((json_specials[role], tok_json))
        if role in overrides or not candidates:
            continue
        token, where = candidates[0]
        for other, other_where in candidates[1:]:
            if other != token:
                raise ValueError(f"inconsistent {role}: {token!r} in {where!r} but {other!r} in {other_where!r}")
        settings[role] = token
    return settings


def load(folder, overrides) -> tuple[dict, dict]:
    """``(vocab, constructor options)`` of a tokenizer folder written by lucid or ``transformers``
    (or a ``vocab.txt`` / ``tokenizer.json`` named directly), ``overrides`` applied on top.

    With both files, ``tokenizer.json``'s vocabulary is used (as ``transformers`` does); the config's
    options win over ``tokenizer.json``'s. Special and added tokens the files name must be in the
    vocabulary, with the same id.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with open(os.path.join(folder, "vocab.txt"), "w") as f:
        ...     _ = f.write("[PAD]\\n[UNK]\\n[CLS]\\n[SEP]\\n[MASK]\\n")
        >>> vocab, options = load(folder, {"lowercase": False})
        >>> vocab["[MASK]"], options
        (4, {'lowercase': False})
    """
    base, vocab_txt, tok_json = _locate(os.fspath(folder))
    config_path = os.path.join(base, "tokenizer_config.json")
    map_path = os.path.join(base, "special_tokens_map.json")
    config = read_json(config_path) if os.path.isfile(config_path) else {}
    special_map = read_json(map_path) if os.path.isfile(map_path) else {}

    if tok_json is not None:
        vocab, settings, json_specials, added = _read_tokenizer_json(tok_json)
    else:
        vocab, settings, json_specials, added = read_vocab_txt(vocab_txt), {}, {}, {}
    settings.update(_config_settings(config))
    for idx, spec in (config.get("added_tokens_decoder") or {}).items():
        content = token_content(spec, f"{config_path}: added_tokens_decoder[{idx}]")
        added[content] = (int(idx), config_path)

    settings.update(_special_tokens(((config_path, config), (map_path, special_map)), json_specials, tok_json,
                                    overrides))
    settings.update(overrides)

    for role in SPECIAL_ROLES:
        token = settings.get(role, DEFAULT_SPECIALS[role])
        if token not in vocab:
            raise ValueError(f"{role} {token!r} (from {base!r}) is not in the vocabulary")
    for token, (idx, where) in added.items():
        if token not in vocab:
            raise ValueError(f"added token {token!r} in {where!r} is not in the vocabulary; "
                             "BERTTokenizerFast supports vocabulary tokens only")
        if vocab[token] != idx:
            raise ValueError(f"inconsistent id for token {token!r}: {idx} in {where!r} but "
                             f"{vocab[token]} in the vocabulary")
    return vocab, settings
