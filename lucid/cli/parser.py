"""The ``lucid-bert`` argument parser: the subcommands, each with ``--device`` and ``--seed``."""

from __future__ import annotations

import argparse
import math
import os

from .. import __version__
from .errors import PROG, CLIError

__all__ = ["SUBCOMMANDS", "build_parser"]

SUBCOMMANDS = ("demo", "fill-mask", "classify", "finetune", "embed", "qa", "ner")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument becomes :class:`CLIError` (one line, exit 2) instead of usage text."""

    def error(self, message):
        raise CLIError(message)


class _CommandParser(_Parser):
    """A subcommand's parser: its texts may come before, between or after its options
    (``classify MODEL --max-length 8 TEXT``), as argparse's intermixed parsing allows."""

    _intermixed = False

    def parse_known_args(self, args=None, namespace=None):
        if self._intermixed:  # the intermixed parse calls back here for each of its two passes
            return super().parse_known_args(args, namespace)
        self._intermixed = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False


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


def _add_inputs(p, texts_help, file_help):
    """The checkpoint folder and the texts (arguments and/or ``--file``) of a prediction command."""
    p.add_argument("model", help="checkpoint folder: config.json, model.safetensors and the tokenizer files")
    p.add_argument("texts", nargs="*", default=[], metavar="TEXT", help=texts_help)
    p.add_argument("--file", help=file_help)


def _add_head_check(p):
    p.add_argument("--allow-untrained-head", action="store_true",
                   help="run even when the checkpoint lacks this task's trained head weights (its predictions "
                   "are then noise)")


def _add_common(p):
    p.add_argument("--device", choices=("cpu", "gpu"), default="cpu",
                   help="where tensors live: cpu (NumPy) or gpu (CuPy, CUDA) (default: cpu)")
    p.add_argument("--seed", type=_nonneg_int, default=0, help="random seed (default: 0)")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")


def _add_text_command(sub, name, help, description, texts_help, file_help, json_help,
                      max_length_default="the model's maximum"):
    """A command that predicts on texts in batches with a trained head: the folder, the texts,
    ``--batch-size``, ``--max-length``, ``--json``, ``--allow-untrained-head``, ``--device``
    and ``--seed``."""
    p = sub.add_parser(name, help=help, description=description)
    _add_inputs(p, texts_help, file_help)
    p.add_argument("--batch-size", type=_positive_int, default=32, help="texts per forward pass (default: 32)")
    p.add_argument("--max-length", type=_positive_int, default=None,
                   help=f"truncate inputs to this many tokens (default: {max_length_default})")
    p.add_argument("--json", action="store_true", help=json_help)
    _add_head_check(p)
    _add_common(p)
    return p


def _add_progress(p):
    """``--progress``: the batched prediction's bar, also off a terminal."""
    p.add_argument("--progress", action="store_true",
                   help="draw a progress bar on standard error (default: only on a terminal, when the texts fill "
                   "more than one batch)")


def _add_demo(sub):
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


def _add_fill_mask(sub):
    p = sub.add_parser("fill-mask", help="top-k tokens and probabilities for each [MASK]",
                       description="Prints the top-k tokens and their probabilities for each [MASK] of each text, "
                       "using a masked-LM checkpoint folder (Hugging Face or lucid).")
    _add_inputs(p, "texts holding [MASK]", "a text file with one text per line")
    p.add_argument("--top-k", type=_positive_int, default=5, help="how many tokens per mask (default: 5)")
    p.add_argument("--batch-size", type=_positive_int, default=32,
                   help="texts per forward pass, longest first (default: 32)")
    _add_progress(p)
    _add_head_check(p)
    _add_common(p)


def _add_classify(sub):
    p = _add_text_command(sub, "classify", "labels and probabilities for texts",
                      "Prints the predicted label and its probability for each text, using a "
                      "sequence-classification checkpoint folder.",
                      "texts to classify", "one text per line, or a .csv/.tsv/.jsonl file with a text "
                      "(and optional text_pair) column", "print one JSON object per text with every probability",
                      "the length the model was fine-tuned with, from its tokenizer_config.json, else the model's "
                      "maximum")
    _add_progress(p)


def _add_finetune(sub):
    p = sub.add_parser("finetune", help="fine-tune BERTForSequenceClassification on a CSV/JSONL file",
                       description="Fine-tunes BERTForSequenceClassification from a Hugging Face or lucid "
                       "checkpoint folder on a .csv, .tsv or .jsonl file with text, optional text_pair, and label "
                       "columns: AdamW, linear warm-up then linear decay, gradient clipping, evaluation after "
                       "each epoch; the best checkpoint (by accuracy) is saved with its tokenizer, and the run's "
                       "metrics.jsonl (and, with matplotlib, training_curves.png) beside it.")
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
    p.add_argument("--max-length", type=_positive_int, default=None, help="truncate inputs to this many "
                   "tokens, saved with the model for classify (default: 128, or the model's maximum if smaller)")
    _add_common(p)


def _add_embed(sub):
    p = sub.add_parser("embed", help="one sentence embedding per text",
                       description="Prints one embedding per text (text, TAB, the numbers) from a "
                       "sentence-transformers or BERT folder, or a Hub repository id: pooling, normalisation and "
                       "maximum length come from the folder's modules.json and 1_Pooling/config.json (a plain BERT "
                       "folder: mean pooling). MODEL may also be a Hub repository id (org/name).")
    _add_inputs(p, "texts to embed", "a text file with one text per line")
    p.add_argument("--json", action="store_true", help="print one JSON object per text: text and embedding")
    p.add_argument("--output", help="write the embeddings as a (texts, hidden) array to this .npy file")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="texts per forward pass (default: 32)")
    p.add_argument("--max-length", type=_positive_int, default=None,
                   help="truncate inputs to this many tokens (default: the folder's max_seq_length)")
    p.add_argument("--normalize", choices=("on", "off"), default=None,
                   help="unit-length embeddings (default: as the folder says)")
    _add_head_check(p)
    _add_common(p)


def _add_qa(sub):
    p = sub.add_parser("qa", help="the answer to a question: a span of the context",
                       description="Prints the answer to --question found in --context, its score and its "
                       "character span, using a question-answering checkpoint folder; a long context is read "
                       "in overlapping windows.")
    p.add_argument("model", help="checkpoint folder: config.json, model.safetensors and the tokenizer files")
    p.add_argument("--question", required=True, help="the question")
    p.add_argument("--context", required=True, help="the text that holds the answer")
    windows = p.add_argument_group("windows and spans")
    windows.add_argument("--max-length", type=_positive_int, default=None,
                         help="tokens per window (default: 384, or the model's maximum when smaller)")
    windows.add_argument("--doc-stride", type=_nonneg_int, default=None,
                         help="tokens shared by consecutive windows (default: half a window, at most 128, as "
                         "Hugging Face's pipeline)")
    windows.add_argument("--max-answer-length", type=_positive_int, default=30,
                         help="longest answer in tokens (default: 30)")
    windows.add_argument("--allow-no-answer", action="store_true", help="answer nothing when [CLS] beats every span")
    p.add_argument("--json", action="store_true", help="print a JSON object with answer, start, end and score")
    _add_head_check(p)
    _add_common(p)


def _add_ner(sub):
    _add_text_command(sub, "ner", "entities with labels and character offsets",
                      "Prints the entities of each text (B-/I- tags merged), their labels from the folder's "
                      "config.json, character offsets and scores, using a token-classification checkpoint folder.",
                      "texts to tag", "a text file with one text per line (or a .csv/.tsv/.jsonl file with a "
                      "text column)", "print one JSON object per text with its entities")


def build_parser() -> argparse.ArgumentParser:
    """The ``lucid-bert`` argument parser with its subcommands.

    Example:
        >>> args = build_parser().parse_args(["fill-mask", "folder", "a [MASK] b", "--top-k", "3"])
        >>> args.command, args.top_k, args.device
        ('fill-mask', 3, 'cpu')
    """
    parser = _Parser(prog=PROG, description="BERT on lucid: a no-download demo, fill-mask, classify, finetune, "
                     "embed, qa, ner. Without a subcommand, runs the demo.")
    parser.add_argument("--version", action="version", version=f"{PROG} (lucid {__version__})")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_CommandParser)
    for add in (_add_demo, _add_fill_mask, _add_classify, _add_finetune, _add_embed, _add_qa, _add_ner):
        add(sub)
    return parser
