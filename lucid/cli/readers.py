"""The files ``lucid-bert`` reads: labelled examples (CSV, TSV, JSONL) and texts to predict on.

Every malformed file raises :class:`~lucid.cli.errors.CLIError` naming the file and, where
there is one, the line.
"""

from __future__ import annotations

import csv
import json
import os

from .errors import CLIError

__all__ = ["ENCODING", "read_examples", "read_texts", "gather_texts", "label_vocab"]

#: UTF-8, with a leading byte-order mark (which spreadsheet programs write) skipped rather than
#: read as part of the first column's name.
ENCODING = "utf-8-sig"


def _check_file(path):
    if path is None:
        raise CLIError("no file given")
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise CLIError(f"file {path!r} is a directory, expected a file")


def _file_format(path):
    ext = os.path.splitext(path)[1].lower()
    if ext in (".csv", ".tsv"):
        return ext[1:]
    if ext in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    return None


def _read_rows(path, fmt):
    """``(line number, row dict)`` for each record of a JSONL or CSV/TSV file."""
    rows = []
    try:
        with open(path, encoding=ENCODING, newline="") as f:
            if fmt == "jsonl":
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as err:
                        raise CLIError(f"{path!r} line {lineno} is not valid JSON ({err.msg})") from None
                    if not isinstance(obj, dict):
                        raise CLIError(f"{path!r} line {lineno} is not a JSON object")
                    rows.append((lineno, obj))
            else:
                reader = csv.DictReader(f, delimiter="\t" if fmt == "tsv" else ",")
                if not reader.fieldnames:
                    raise CLIError(f"{path!r} is empty: expected a header line with a text column")
                for row in reader:
                    rows.append((reader.line_num, row))
    except UnicodeDecodeError:
        raise CLIError(f"{path!r} is not UTF-8 text") from None
    except csv.Error as err:
        raise CLIError(f"{path!r} is not a valid {fmt.upper()} file ({err})") from None
    return rows


def _example(path, lineno, row, require_label):
    """One row as ``{"text", "text_pair"?, "label"?}``, with the labels as stripped strings."""
    ex = {}
    for key in ("text", "text_pair", "label"):
        value = row.get(key)
        if value is None or (isinstance(value, str) and value.strip() == ""):
            if key == "text" or (key == "label" and require_label):
                have = ", ".join(repr(k) for k in row if k is not None) or "none"
                raise CLIError(f"{path!r} line {lineno} has no {key!r} value (columns: {have})")
            continue
        if key == "label":
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise CLIError(f"{path!r} line {lineno}: label must be a string or an integer, got {value!r}")
            ex[key] = str(value).strip()
        else:
            if not isinstance(value, str):
                raise CLIError(f"{path!r} line {lineno}: {key} must be a string, got {value!r}")
            ex[key] = value
    return ex


def read_examples(path, require_label=True) -> list[dict]:
    """Read examples from a ``.csv``/``.tsv`` file (with a header) or a ``.jsonl`` file.

    Each example is a dict with ``text``, optional ``text_pair`` and (when
    ``require_label``) ``label``. Raises :class:`CLIError` naming the file, the line and
    the missing column when the file is malformed.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "train.csv")
        >>> with open(path, "w") as f:
        ...     _ = f.write("text,label\\ngood film,pos\\nbad film,neg\\n")
        >>> read_examples(path)
        [{'text': 'good film', 'label': 'pos'}, {'text': 'bad film', 'label': 'neg'}]
    """
    _check_file(path)
    fmt = _file_format(path)
    if fmt is None:
        raise CLIError(f"cannot tell the format of {path!r}: use a .csv, .tsv or .jsonl file")
    examples = [_example(path, lineno, row, require_label) for lineno, row in _read_rows(path, fmt)]
    if not examples:
        raise CLIError(f"{path!r} holds no examples")
    return examples


def read_texts(path) -> list[tuple[str, str | None]]:
    """``(text, text_pair or None)`` pairs to predict on: from a CSV/TSV/JSONL file's ``text``
    (and ``text_pair``) column, or from the non-empty lines of any other text file.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "texts.txt")
        >>> with open(path, "w") as f:
        ...     _ = f.write("a fine film\\n\\n  a dull one \\n")
        >>> read_texts(path)
        [('a fine film', None), ('a dull one', None)]
    """
    _check_file(path)
    if _file_format(path) is not None:
        return [(ex["text"], ex.get("text_pair")) for ex in read_examples(path, require_label=False)]
    try:
        with open(path, encoding=ENCODING) as f:
            texts = [(line.strip(), None) for line in f if line.strip()]
    except UnicodeDecodeError:
        raise CLIError(f"{path!r} is not UTF-8 text") from None
    if not texts:
        raise CLIError(f"{path!r} holds no texts")
    return texts


def gather_texts(texts, file=None) -> list[tuple[str, str | None]]:
    """The texts of the command line followed by those of ``file``; at least one, or
    :class:`CLIError`.

    Example:
        >>> gather_texts(["a [MASK] day"])
        [('a [MASK] day', None)]
    """
    out = [(t, None) for t in texts]
    if file:
        out += read_texts(file)
    if not out:
        raise CLIError("no texts given: pass them as arguments or with --file")
    return out


def label_vocab(labels) -> list[str]:
    """The sorted distinct label names, numerically when every label is an integer; the
    position of a name is its class id.

    Example:
        >>> label_vocab(["10", "2", "1", "2"]), label_vocab(["pos", "neg"])
        (['1', '2', '10'], ['neg', 'pos'])
    """
    names = set(labels)
    if all(n.lstrip("-").isdigit() for n in names):
        return sorted(names, key=int)
    return sorted(names)
