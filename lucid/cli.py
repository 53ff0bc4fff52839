"""``lucid-bert``: the command line of lucid's BERT (demo, fill-mask, classify, finetune).

Run ``lucid-bert -h`` for the subcommands and ``lucid-bert SUBCOMMAND -h`` for their options.
Without a subcommand it runs ``demo``, which needs no download. Every subcommand takes
``--device cpu|gpu`` and ``--seed``. Bad files and bad arguments print one line
``lucid-bert: error: ...`` and exit with status 2 (set ``LUCID_DEBUG=1`` for the traceback).

Example:
    >>> from lucid.cli import main
    >>> main(["classify", "no/such/folder", "hello"])  # doctest: +SKIP
    lucid-bert: error: no model folder at 'no/such/folder'
    2
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import sys
import time
import warnings

import numpy as np

PROG = "lucid-bert"
SUBCOMMANDS = ("demo", "fill-mask", "classify", "finetune")

__all__ = ["CLIError", "ProgressBar", "build_parser", "main", "read_examples"]


class CLIError(Exception):
    """A user error (bad argument, missing or malformed file): reported as one line, exit status 2."""


# ---------------------------------------------------------------------------------------------
# progress bar
# ---------------------------------------------------------------------------------------------
def format_seconds(seconds: float) -> str:
    """``MM:SS`` (or ``H:MM:SS``) for a duration; ``?`` when unknown.

    Example:
        >>> format_seconds(75), format_seconds(3725), format_seconds(float("nan"))
        ('01:15', '1:02:05', '?')
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class ProgressBar:
    """A small progress bar with rate and ETA, drawn on ``stream`` (stderr by default).

    On a terminal it redraws in place at most every ``min_interval`` seconds; on anything
    else (a pipe, a log file) it writes a single line when closed, so logs stay readable.
    ``update`` takes keyword statistics (``loss=...``) shown after the bar.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> with ProgressBar(4, "train", stream=out) as bar:
        ...     for _ in range(4):
        ...         bar.update(1, loss=0.5)
        >>> line = out.getvalue()
        >>> "train" in line and "4/4" in line and "it/s" in line and "loss=0.5" in line
        True
    """

    def __init__(self, total: int, desc: str = "", stream=None, width: int = 24, unit: str = "it",
                 min_interval: float = 0.1):
        self.total = max(int(total), 0)
        self.desc = desc
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.unit = unit
        self.min_interval = min_interval
        self.n = 0
        self.stats = {}
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._closed = False
        isatty = getattr(self.stream, "isatty", None)
        self._live = bool(isatty and isatty())

    def update(self, n: int = 1, **stats) -> None:
        """Advance by ``n`` steps and remember ``stats`` for the display."""
        self.n += n
        self.stats.update(stats)
        if self._live:
            now = time.perf_counter()
            if now - self._last_draw >= self.min_interval or self.n >= self.total:
                self._last_draw = now
                self.stream.write("\r" + self.render())
                self.stream.flush()

    def render(self) -> str:
        """The bar as one line of text."""
        elapsed = time.perf_counter() - self.start
        frac = self.n / self.total if self.total else 1.0
        filled = int(round(self.width * min(frac, 1.0)))
        rate = self.n / elapsed if elapsed > 0 else float("nan")
        eta = (self.total - self.n) / rate if rate and math.isfinite(rate) and rate > 0 else float("nan")
        rate_text = f"{rate:.1f} {self.unit}/s" if math.isfinite(rate) else f"? {self.unit}/s"
        stats = " ".join(f"{k}={_fmt_stat(v)}" for k, v in self.stats.items())
        line = (f"{self.desc} |{'#' * filled}{'.' * (self.width - filled)}| {self.n}/{self.total} "
                f"[{format_seconds(elapsed)}<{format_seconds(eta)}, {rate_text}]")
        return f"{line} {stats}".rstrip()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self._closed:
            return
        self._closed = True
        self.stream.write(("\r" if self._live else "") + self.render() + "\n")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _fmt_stat(v) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:.4g}"
    return str(v)


def _log(msg: str = "") -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# argument parsing
# ---------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument becomes :class:`CLIError` (one line, exit 2) instead of usage text."""

    def error(self, message):
        raise CLIError(message)


def _number(kind, convert, ok):
    """An argparse type: ``convert`` the text and check it with ``ok``, else say a ``kind`` was expected."""

    def parse(text):
        try:
            v = convert(text)
        except ValueError:
            v = None
        if v is None or not ok(v):
            raise argparse.ArgumentTypeError(f"expected a {kind}, got {text!r}")
        return v

    return parse


_positive_int = _number("positive integer", int, lambda v: v >= 1)
_nonneg_int = _number("non-negative integer", int, lambda v: v >= 0)
_positive_float = _number("positive number", float, lambda v: v > 0 and math.isfinite(v))
_fraction = _number("number in [0, 1)", float, lambda v: 0.0 <= v < 1.0)


def _add_common(p):
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="where tensors live: cpu (NumPy) or gpu (CuPy, CUDA) (default: cpu)")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="random seed (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    """The ``lucid-bert`` argument parser with its four subcommands.

    Example:
        >>> args = build_parser().parse_args(["fill-mask", "folder", "a [MASK] b", "--top-k", "3"])
        >>> args.command, args.top_k, args.device
        ('fill-mask', 3, 'cpu')
    """
    parser = _Parser(prog=PROG, description="BERT on lucid: a no-download demo, fill-mask, classify, finetune. "
                     "Without a subcommand, runs the demo.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"{PROG} (lucid {__version__})")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")

    p = sub.add_parser("demo", help="(default) learn a vocabulary, pre-train a tiny BERT, fine-tune and test a "
                       "sentiment classifier on data shipped with lucid; no download",
                       description="Learns a WordPiece vocabulary from a corpus shipped with lucid, pre-trains a "
                       "tiny BERT with masked-LM, fine-tunes a sentiment classifier on a shipped labelled set, "
                       "reports held-out accuracy, saves both models and reloads the classifier.")
    _add_common(p)
    p.add_argument("--output-dir", default=os.path.join(".data", "bert"),
                   help="where to save pretrained/ (masked-LM) and classifier/ (default: .data/bert)")
    p.add_argument("--pretrain-epochs", type=_nonneg_int, default=None, help="masked-LM epochs (default: 10)")
    p.add_argument("--epochs", type=_positive_int, default=None, help="fine-tuning epochs (default: 8)")
    p.add_argument("--quick", action="store_true", help="fewer epochs, for smoke tests")

    p = sub.add_parser("fill-mask", help="top-k tokens and probabilities for each [MASK]",
                       description="Prints the top-k tokens and their probabilities for each [MASK] of each text, "
                       "using a masked-LM checkpoint folder (Hugging Face or lucid).")
    p.add_argument("model", help="checkpoint folder: config.json, model.safetensors and the tokenizer files")
    p.add_argument("texts", nargs="*", default=[], metavar="TEXT", help="texts holding [MASK]")
    p.add_argument("--file", help="a text file with one text per line")
    p.add_argument("--top-k", type=_positive_int, default=5, help="how many tokens per mask (default: 5)")
    _add_common(p)

    p = sub.add_parser("classify", help="labels and probabilities for texts",
                       description="Prints the predicted label and its probability for each text, using a "
                       "sequence-classification checkpoint folder.")
    p.add_argument("model", help="checkpoint folder: config.json, model.safetensors and the tokenizer files")
    p.add_argument("texts", nargs="*", default=[], metavar="TEXT", help="texts to classify")
    p.add_argument("--file", help="one text per line, or a .csv/.tsv/.jsonl file with a text "
                   "(and optional text_pair) column")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="texts per forward pass (default: 32)")
    p.add_argument("--max-length", type=_positive_int, default=None,
                   help="truncate inputs to this many tokens (default: the model's maximum)")
    p.add_argument("--json", action="store_true", help="print one JSON object per text with every probability")
    _add_common(p)

    p = sub.add_parser("finetune", help="fine-tune BERTForSequenceClassification on a CSV/JSONL file",
                       description="Fine-tunes BERTForSequenceClassification from a Hugging Face or lucid "
                       "checkpoint folder on a .csv, .tsv or .jsonl file with text, optional text_pair, and label "
                       "columns: AdamW, linear warm-up then linear decay, gradient clipping, evaluation after "
                       "each epoch; the best checkpoint (by accuracy) is saved with its tokenizer.")
    p.add_argument("model", help="checkpoint folder to start from (with vocab.txt or tokenizer.json)")
    p.add_argument("train_file", help=".csv, .tsv or .jsonl training file")
    p.add_argument("--eval-file", help="evaluation file (default: hold out --eval-fraction of the training file)")
    p.add_argument("--eval-fraction", type=_fraction, default=0.1,
                   help="share of the training file held out when there is no --eval-file (default: 0.1)")
    p.add_argument("--output-dir", default="lucid-bert-finetuned", help="where the best checkpoint goes "
                   "(default: lucid-bert-finetuned)")
    p.add_argument("--epochs", type=_positive_int, default=3, help="training epochs (default: 3)")
    p.add_argument("--batch-size", type=_positive_int, default=16, help="batch size (default: 16)")
    p.add_argument("--lr", type=_positive_float, default=5e-5, help="peak learning rate (default: 5e-5)")
    p.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay (default: 0.01)")
    p.add_argument("--warmup-ratio", type=_fraction, default=0.1,
                   help="share of the steps spent warming up (default: 0.1)")
    p.add_argument("--max-grad-norm", type=_positive_float, default=1.0,
                   help="clip the global gradient norm to this (default: 1.0)")
    p.add_argument("--max-length", type=_positive_int, default=128, help="truncate inputs to this many "
                   "tokens (default: 128)")
    _add_common(p)
    return parser


# ---------------------------------------------------------------------------------------------
# data files
# ---------------------------------------------------------------------------------------------
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
    rows = []
    try:
        with open(path, encoding="utf-8", newline="") as f:
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
    examples = []
    for lineno, row in rows:
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
        examples.append(ex)
    if not examples:
        raise CLIError(f"{path!r} holds no examples")
    return examples


def _read_texts(path) -> list[tuple[str, str | None]]:
    """Texts to predict on: a CSV/TSV/JSONL file with a text column, or plain lines."""
    _check_file(path)
    if _file_format(path) is not None:
        return [(ex["text"], ex.get("text_pair")) for ex in read_examples(path, require_label=False)]
    try:
        with open(path, encoding="utf-8") as f:
            texts = [(line.strip(), None) for line in f if line.strip()]
    except UnicodeDecodeError:
        raise CLIError(f"{path!r} is not UTF-8 text") from None
    if not texts:
        raise CLIError(f"{path!r} holds no texts")
    return texts


def _label_vocab(labels) -> list[str]:
    """Sorted label names: numerically when every label is an integer."""
    names = set(labels)
    if all(n.lstrip("-").isdigit() for n in names):
        return sorted(names, key=int)
    return sorted(names)


# ---------------------------------------------------------------------------------------------
# models, tokenizers, devices
# ---------------------------------------------------------------------------------------------
def _setup(args):
    import lucid

    lucid.random.seed(args.seed)
    if args.device == "gpu" and not lucid.gpu_available():
        raise CLIError("--device gpu needs CuPy and a CUDA GPU, and none was found "
                       "(install the CuPy wheel for your CUDA version, e.g. pip install 'lucid[gpu]')")
    return np.random.default_rng(args.seed)


@contextlib.contextmanager
def _single_blas_thread():
    """Best effort: run a tiny model's loop with OpenBLAS at one thread, then restore the count.

    The demo's matrices are far too small to gain from threads, and on shared cores OpenBLAS
    threads spin-waiting for each other make it many times slower. Skipped when the user set
    ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``; a no-op when NumPy's BLAS is not OpenBLAS.
    """
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        yield
        return
    from .nn.kernels._blocks import single_threaded_blas

    with single_threaded_blas():
        yield


@contextlib.contextmanager
def _notes():
    """Show warnings raised while loading (e.g. freshly initialised heads) as one-line notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        _log(f"{PROG}: note: {str(w.message).strip().splitlines()[0]}")


def _check_folder(folder):
    if not os.path.exists(folder):
        raise CLIError(f"no model folder at {folder!r}")
    if not os.path.isdir(folder):
        raise CLIError(f"{folder!r} is a file, expected a model folder (config.json, model.safetensors, vocab.txt)")
    if not os.path.isfile(os.path.join(folder, "config.json")):
        raise CLIError(f"model folder {folder!r} has no config.json")
    return folder


def _load_tokenizer(folder):
    from .models import BERTTokenizerFast

    if not any(os.path.isfile(os.path.join(folder, n)) for n in ("vocab.txt", "tokenizer.json")):
        raise CLIError(f"model folder {folder!r} has no tokenizer (vocab.txt or tokenizer.json)")
    return BERTTokenizerFast.from_pretrained(folder)


def _read_config_json(folder):
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise CLIError(f"cannot read {os.path.join(folder, 'config.json')!r}: {err}") from None


def _id2label(folder) -> list[str]:
    """The label names of config.json's ``id2label`` in id order; two generic names without a usable one."""
    raw = _read_config_json(folder).get("id2label") or {}
    try:
        names = [str(raw[k]) for k in sorted(raw, key=int)]
    except (TypeError, ValueError):
        names = []
    return names or ["LABEL_0", "LABEL_1"]


def _set_labels(model, names):
    """Put the label names into the config so ``save_pretrained`` writes ``id2label``/``label2id``."""
    model.config.extra["id2label"] = {str(i): n for i, n in enumerate(names)}
    model.config.extra["label2id"] = {n: i for i, n in enumerate(names)}


def _encode(tokenizer, texts_a, texts_b=None, max_length=None):
    """Token ids, token type ids and attention masks as int64 NumPy arrays padded to the longest row."""
    enc = tokenizer.batch_encode(list(texts_a), None if texts_b is None else list(texts_b), padding=True,
                                 max_length=max_length, truncation=max_length is not None)
    return {k: np.asarray(enc[k], dtype=np.int64).reshape(len(texts_a), -1)
            for k in ("input_ids", "token_type_ids", "attention_mask")}


def _batches(n, batch_size, rng=None):
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def _take(enc, idx, device):
    """One batch as lucid tensors, trimmed to its longest row."""
    import lucid

    mask = enc["attention_mask"][idx]
    width = max(int(mask.sum(axis=1).max()), 1)
    return {k: lucid.tensor(v[idx][:, :width], device=device) for k, v in enc.items()}


def _softmax(x, axis=-1):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _warmup_linear(optimizer, warmup_steps, total_steps):
    from .optim.lr_scheduler import LinearWarmupDecayLR

    return LinearWarmupDecayLR(optimizer, num_warmup_steps=int(warmup_steps), num_training_steps=int(total_steps))


# ---------------------------------------------------------------------------------------------
# training and evaluation loops shared by demo and finetune
# ---------------------------------------------------------------------------------------------
def _train_classifier_epoch(model, optimizer, scheduler, enc, labels, batch_size, rng, device, max_grad_norm,
                            desc):
    import lucid
    from .nn.utils import clip_grad_norm

    model.train()
    n = len(labels)
    total, seen = 0.0, 0
    with ProgressBar(math.ceil(n / batch_size), desc, unit="batch") as bar:
        for idx in _batches(n, batch_size, rng):
            batch = _take(enc, idx, device)
            y = lucid.tensor(labels[idx], device=device)
            loss = model.get_loss(labels=y, **batch)
            optimizer.zero_grad()
            loss.backward()
            if max_grad_norm:
                clip_grad_norm(model.parameters(), max_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += float(loss.item()) * len(idx)
            seen += len(idx)
            bar.update(1, loss=total / seen)
    return total / max(seen, 1)


def _evaluate_classifier(model, enc, labels, batch_size, device):
    """(mean loss, accuracy, predicted ids) over a whole encoded set."""
    import lucid

    model.eval()
    preds, total = [], 0.0
    with lucid.no_grad():
        for idx in _batches(len(labels), batch_size):
            batch = _take(enc, idx, device)
            logits = model(**batch)
            logits_np = np.asarray(logits.numpy(), dtype=np.float64)
            logp = logits_np - logits_np.max(axis=1, keepdims=True)
            logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
            total += float(-logp[np.arange(len(idx)), labels[idx]].sum())
            preds.append(logits_np.argmax(axis=1))
    preds = np.concatenate(preds) if preds else np.zeros(0, dtype=np.int64)
    acc = float((preds == labels).mean()) if len(labels) else float("nan")
    return total / max(len(labels), 1), acc, preds


# ---------------------------------------------------------------------------------------------
# subcommands
# ---------------------------------------------------------------------------------------------
DEMO_VOCAB_SIZE = 600
DEMO_SENTENCES = (
    "What a wonderful film, I loved every minute.",
    "The hotel was dreadful and the staff were rude.",
    "Honestly, the concert was brilliant.",
    "I regretted the trip, it was boring and tedious.",
)


def cmd_demo(args) -> int:
    """Learn a vocabulary, pre-train with masked-LM, fine-tune a classifier, test, save, reload."""
    import lucid
    from .data import SENTIMENT_LABELS, load_corpus, load_sentiment, train_test_split
    from .models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast
    from .optim import AdamW

    t0 = time.perf_counter()
    rng = _setup(args)
    device = args.device
    pre_epochs = args.pretrain_epochs if args.pretrain_epochs is not None else (2 if args.quick else 10)
    ft_epochs = args.epochs if args.epochs is not None else (3 if args.quick else 8)
    out_dir = args.output_dir
    pre_dir, clf_dir = os.path.join(out_dir, "pretrained"), os.path.join(out_dir, "classifier")

    corpus = load_corpus()
    texts, labels = load_sentiment()
    train_idx, test_idx = train_test_split(len(texts), test_fraction=0.2, seed=args.seed)
    train_texts = [texts[i] for i in train_idx]
    test_texts = [texts[i] for i in test_idx]
    y_train = np.array([labels[i] for i in train_idx], dtype=np.int64)
    y_test = np.array([labels[i] for i in test_idx], dtype=np.int64)
    _log(f"[1/5] data: {len(corpus)} corpus sentences; {len(train_texts)} labelled reviews for training, "
         f"{len(test_texts)} held out")

    # Only unlabelled text the model may see: the corpus and the training reviews.
    unlabelled = corpus + train_texts
    tokenizer = BERTTokenizerFast.train_from_iterator(unlabelled, vocab_size=DEMO_VOCAB_SIZE)
    _log(f"[2/5] tokenizer: learned a WordPiece vocabulary of {tokenizer.vocab_size} tokens")

    config = BERTConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=128, max_position_embeddings=64,
                        pad_token_id=tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id,
                        cls_token_id=tokenizer.cls_token_id, sep_token_id=tokenizer.sep_token_id)
    mlm = BERTForMaskedLM(config).to(device)
    n_params = sum(p.size for p in mlm.parameters())
    _log(f"[3/5] masked-LM pre-training: tiny BERT ({config.num_hidden_layers} layers, hidden "
         f"{config.hidden_size}, {n_params:,} parameters), {pre_epochs} epoch(s) on {device}")
    enc = _encode(tokenizer, unlabelled, max_length=config.max_position_embeddings)
    batch_size = 32
    steps = pre_epochs * math.ceil(len(unlabelled) / batch_size)
    optimizer = AdamW(mlm.parameters(), lr=2e-3, weight_decay=0.01)
    scheduler = _warmup_linear(optimizer, max(1, steps // 10), steps)
    for epoch in range(pre_epochs):
        mlm.train()
        total, count = 0.0, 0
        with ProgressBar(math.ceil(len(unlabelled) / batch_size), f"pretrain {epoch + 1}/{pre_epochs}",
                         unit="batch") as bar:
            for idx in _batches(len(unlabelled), batch_size, rng):
                batch = _take(enc, idx, device)
                masked, mlm_labels = mlm.create_masked_lm_inputs(batch["input_ids"],
                                                                 attention_mask=batch["attention_mask"])
                loss = mlm.get_loss(labels=mlm_labels, input_ids=masked, attention_mask=batch["attention_mask"])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                total += float(loss.item())
                count += 1
                bar.update(1, loss=total / count)
    mlm.save_pretrained(pre_dir)
    tokenizer.save_pretrained(pre_dir)

    _log(f"[4/5] fine-tuning BERTForSequenceClassification from {pre_dir}, {ft_epochs} epoch(s)")
    with _notes():
        clf = BERTForSequenceClassification.from_pretrained(pre_dir, num_labels=len(SENTIMENT_LABELS))
    clf = clf.to(device)
    enc_train = _encode(tokenizer, train_texts, max_length=config.max_position_embeddings)
    enc_test = _encode(tokenizer, test_texts, max_length=config.max_position_embeddings)
    batch_size = 16
    steps = ft_epochs * math.ceil(len(train_texts) / batch_size)
    optimizer = AdamW(clf.parameters(), lr=1e-3, weight_decay=0.01)
    scheduler = _warmup_linear(optimizer, max(1, steps // 10), steps)
    acc = float("nan")
    for epoch in range(ft_epochs):
        _train_classifier_epoch(clf, optimizer, scheduler, enc_train, y_train, batch_size, rng, device, 1.0,
                                f"finetune {epoch + 1}/{ft_epochs}")
        loss, acc, _ = _evaluate_classifier(clf, enc_test, y_test, 64, device)
        _log(f"    epoch {epoch + 1}: held-out loss {loss:.4f}, accuracy {acc:.3f}")
    _set_labels(clf, SENTIMENT_LABELS)
    clf.save_pretrained(clf_dir)
    tokenizer.save_pretrained(clf_dir)

    _log(f"[5/5] saved {pre_dir} (masked LM) and {clf_dir} (classifier); reloading the classifier")
    clf2 = BERTForSequenceClassification.from_pretrained(clf_dir, num_labels=len(SENTIMENT_LABELS)).to(device)
    clf2.eval()
    tok2 = _load_tokenizer(clf_dir)
    with lucid.no_grad():
        probs = clf2.predict_proba_from_text(tokenizer=tok2, text_a=list(DEMO_SENTENCES), device=device)
    probs = np.asarray(probs.numpy(), dtype=np.float64)
    print(f"held-out accuracy: {acc:.3f} on {len(test_texts)} reviews (chance: 0.500)")
    for text, p in zip(DEMO_SENTENCES, probs):
        k = int(p.argmax())
        print(f"  {SENTIMENT_LABELS[k]:<8} {p[k]:.3f}  {text}")
    print(f"saved: {pre_dir} (BERTForMaskedLM) and {clf_dir} (BERTForSequenceClassification); "
          f"total time {time.perf_counter() - t0:.1f} s")
    return 0


def _texts_from_args(args):
    texts = [(t, None) for t in args.texts]
    if args.file:
        texts += _read_texts(args.file)
    if not texts:
        raise CLIError("no texts given: pass them as arguments or with --file")
    return texts


def cmd_fill_mask(args) -> int:
    """Top-k tokens and probabilities for each ``[MASK]``."""
    import lucid
    from .models import BERTForMaskedLM

    _setup(args)
    folder = _check_folder(args.model)
    texts = _texts_from_args(args)
    tokenizer = _load_tokenizer(folder)
    mask_token, mask_id = tokenizer.mask_token, tokenizer.mask_token_id
    with _notes():
        model = BERTForMaskedLM.from_pretrained(folder)
    model = model.to(args.device)
    model.eval()
    k = min(args.top_k, tokenizer.vocab_size)
    for text, _ in texts:
        if mask_token not in text:
            raise CLIError(f"text has no {mask_token} token: {text!r}")
        ids = tokenizer.encode(text)
        with lucid.no_grad():
            logits = model(input_ids=lucid.tensor([ids], device=args.device))
        logits = np.asarray(logits.numpy(), dtype=np.float64)[0]
        print(text)
        positions = [i for i, t in enumerate(ids) if t == mask_id]
        for m, pos in enumerate(positions, 1):
            probs = _softmax(logits[pos])
            top = np.argsort(-probs, kind="stable")[:k]
            tokens = tokenizer.convert_ids_to_tokens([int(t) for t in top])
            print(f"  {mask_token} {m} (token {pos}):")
            for tok, tid in zip(tokens, top):
                print(f"    {tok:<16} {probs[tid]:.4f}")
    return 0


def cmd_classify(args) -> int:
    """Labels and probabilities for texts."""
    import lucid
    from .models import BERTForSequenceClassification

    _setup(args)
    folder = _check_folder(args.model)
    texts = _texts_from_args(args)
    tokenizer = _load_tokenizer(folder)
    names = _id2label(folder)
    with _notes():
        model = BERTForSequenceClassification.from_pretrained(folder, num_labels=len(names))
    model = model.to(args.device)
    model.eval()
    max_len = args.max_length or model.config.max_position_embeddings
    has_pairs = any(b is not None for _, b in texts)
    for start in range(0, len(texts), args.batch_size):
        chunk = texts[start:start + args.batch_size]
        a = [t for t, _ in chunk]
        b = [p or "" for _, p in chunk] if has_pairs else None
        enc = _encode(tokenizer, a, b, max_length=max_len)
        with lucid.no_grad():
            logits = model(**{k: lucid.tensor(v, device=args.device) for k, v in enc.items()})
        probs = _softmax(np.asarray(logits.numpy(), dtype=np.float64))
        for (text, pair), p in zip(chunk, probs):
            k = int(p.argmax())
            if args.json:
                obj = {"text": text, "label": names[k], "probability": round(float(p[k]), 6),
                       "probabilities": {n: round(float(q), 6) for n, q in zip(names, p)}}
                if pair is not None:
                    obj["text_pair"] = pair
                print(json.dumps(obj, ensure_ascii=False))
            else:
                shown = text if pair is None else f"{text} ||| {pair}"
                print(f"{names[k]}\t{p[k]:.4f}\t{shown}")
    return 0


def cmd_finetune(args) -> int:
    """Fine-tune a sequence classifier with AdamW, warm-up + linear decay, clipping and per-epoch eval."""
    from .models import BERTForSequenceClassification
    from .optim import AdamW

    t0 = time.perf_counter()
    rng = _setup(args)
    folder = _check_folder(args.model)
    if args.weight_decay < 0:
        raise CLIError(f"--weight-decay must be >= 0, got {args.weight_decay}")
    train = read_examples(args.train_file)
    if args.eval_file:
        evals = read_examples(args.eval_file)
    else:
        order = rng.permutation(len(train))
        n_eval = max(1, int(round(len(train) * args.eval_fraction))) if args.eval_fraction > 0 else 0
        if n_eval >= len(train):
            raise CLIError(f"{args.train_file!r} has too few examples ({len(train)}) to hold some out; "
                           "pass --eval-file")
        evals = [train[i] for i in order[:n_eval]]
        train = [train[i] for i in order[n_eval:]]
    names = _label_vocab(ex["label"] for ex in train)
    if len(names) < 2:
        raise CLIError(f"{args.train_file!r} has a single label {names[0]!r}; a classifier needs at least two")
    index = {n: i for i, n in enumerate(names)}
    for ex in evals:
        if ex["label"] not in index:
            raise CLIError(f"evaluation label {ex['label']!r} does not occur in the training file "
                           f"(labels: {', '.join(names)})")
    tokenizer = _load_tokenizer(folder)
    with _notes():
        model = BERTForSequenceClassification.from_pretrained(folder, num_labels=len(names))
    model = model.to(args.device)
    max_len = min(args.max_length, model.config.max_position_embeddings)

    def encode(exs):
        pairs = any("text_pair" in ex for ex in exs)
        return _encode(tokenizer, [ex["text"] for ex in exs],
                       [ex.get("text_pair", "") for ex in exs] if pairs else None, max_length=max_len)

    enc_train, enc_eval = encode(train), (encode(evals) if evals else None)
    y_train = np.array([index[ex["label"]] for ex in train], dtype=np.int64)
    y_eval = np.array([index[ex["label"]] for ex in evals], dtype=np.int64)
    steps = args.epochs * math.ceil(len(train) / args.batch_size)
    warmup = int(round(steps * args.warmup_ratio))
    optimizer = AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = _warmup_linear(optimizer, warmup, steps)
    _log(f"fine-tuning {folder} on {len(train)} examples ({len(evals)} for evaluation), labels: "
         f"{', '.join(names)}; {args.epochs} epoch(s), {steps} steps ({warmup} warm-up) on {args.device}")
    best = None
    for epoch in range(args.epochs):
        train_loss = _train_classifier_epoch(model, optimizer, scheduler, enc_train, y_train, args.batch_size,
                                             rng, args.device, args.max_grad_norm,
                                             f"epoch {epoch + 1}/{args.epochs}")
        if evals:
            loss, acc, _ = _evaluate_classifier(model, enc_eval, y_eval, max(args.batch_size, 32), args.device)
        else:
            loss, acc = train_loss, float("nan")
        improved = (best is None or (acc, -loss) > (best[0], -best[1])) if evals else True
        _log(f"    epoch {epoch + 1}: train loss {train_loss:.4f}, eval loss {loss:.4f}, eval accuracy {acc:.3f}"
             + ("  (best, saved)" if improved else ""))
        if improved:
            best = (acc, loss, epoch + 1)
            _set_labels(model, names)
            model.save_pretrained(args.output_dir)
            tokenizer.save_pretrained(args.output_dir)
    print(f"best eval accuracy {best[0]:.3f} (loss {best[1]:.4f}) after epoch {best[2]}; saved to "
          f"{args.output_dir} in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_demo(args) -> int:
    with _single_blas_thread():
        return cmd_demo(args)


_COMMANDS = {"demo": _cmd_demo, "fill-mask": cmd_fill_mask, "classify": cmd_classify, "finetune": cmd_finetune}


def main(argv=None) -> int:
    """Entry point of ``lucid-bert``; returns the exit status (0 ok, 2 user error).

    Example:
        >>> import contextlib, io
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     status = main(["classify", "--top-k", "3"])
        >>> status, err.getvalue().startswith("lucid-bert: error:")
        (2, True)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # No subcommand (only options, or nothing at all) means the demo.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["demo"] + argv
    debug = bool(os.environ.get("LUCID_DEBUG"))
    try:
        args = build_parser().parse_args(argv)
        return _COMMANDS[args.command](args)
    except CLIError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        if debug:
            raise
        return 2
    except (OSError, ValueError, RuntimeError, KeyError) as err:
        # A malformed checkpoint, tokenizer or data file surfaces from the library as one of these.
        if debug:
            raise
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # python -m lucid.cli
    sys.exit(main())
