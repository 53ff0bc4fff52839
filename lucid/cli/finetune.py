"""``lucid-bert finetune``: fine-tune ``BERTForSequenceClassification`` on a labelled file with
AdamW, linear warm-up then linear decay, gradient clipping and an evaluation after every
epoch; the best epoch's checkpoint is saved with its tokenizer and label names. Under
``mpiexec -n N`` the ranks share every batch (:mod:`lucid.cli.parallel`)."""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np

from lucid.models import BERTForSequenceClassification, BERTTokenizerFast
from lucid.models.bert.checkpoint import check_model_folder, set_label_names
from lucid.optim import AdamW
from lucid.optim.lr_scheduler import LinearWarmupDecayLR

from .errors import CLIError
from .parallel import start_job
from .progress import log
from .readers import label_vocab, read_examples
from .session import load_pretrained, start
from .training import TextSet, Trainer

__all__ = ["run"]


def _split(args, rng):
    """The training and evaluation examples: two files, or one with a share held out."""
    train = read_examples(args.train_file)
    if args.eval_file:
        return train, read_examples(args.eval_file)
    order = rng.permutation(len(train))
    n_eval = max(1, int(round(len(train) * args.eval_fraction))) if args.eval_fraction > 0 else 0
    if n_eval >= len(train):
        raise CLIError(f"{args.train_file!r} has too few examples ({len(train)}) to hold some out; "
                       "pass --eval-file")
    return [train[i] for i in order[n_eval:]], [train[i] for i in order[:n_eval]]


def _label_ids(args, train, evals):
    """The class names (sorted training labels) and a name -> id map; every evaluation label
    must be one of them."""
    names = label_vocab(ex["label"] for ex in train)
    if len(names) < 2:
        raise CLIError(f"{args.train_file!r} has a single label {names[0]!r}; a classifier needs at least two")
    index = {n: i for i, n in enumerate(names)}
    for ex in evals:
        if ex["label"] not in index:
            raise CLIError(f"evaluation label {ex['label']!r} does not occur in the training file "
                           f"(labels: {', '.join(names)})")
    return names, index


def _text_set(examples, index) -> TextSet:
    """Examples as a :class:`TextSet`; with any ``text_pair``, a missing pair is the empty text."""
    pairs = [ex.get("text_pair", "") for ex in examples] if any("text_pair" in ex for ex in examples) else None
    return TextSet([ex["text"] for ex in examples], pairs,
                   np.array([index[ex["label"]] for ex in examples], dtype=np.int64))


def run(args) -> int:
    """Fine-tune, evaluate after each epoch, keep the best checkpoint (by accuracy, then loss).

    Example:
        >>> import tempfile
        >>> from lucid.cli.parser import build_parser
        >>> from lucid.models import BERTConfig
        >>> folder = tempfile.mkdtemp()
        >>> BERTConfig(vocab_size=30).save_pretrained(folder)
        >>> run(build_parser().parse_args(["finetune", folder, "train.csv", "--weight-decay", "-1"]))
        Traceback (most recent call last):
        ...
        lucid.cli.errors.CLIError: --weight-decay must be >= 0, got -1.0
    """
    t0 = time.perf_counter()
    job = start_job(args.device)  # first, so that any later mistake can end every rank
    with job.quiet() if job is not None else contextlib.nullcontext():
        return _finetune(args, job, t0)


def _finetune(args, job, t0) -> int:
    rng = start(args)
    folder = check_model_folder(args.model)
    if args.weight_decay < 0:
        raise CLIError(f"--weight-decay must be >= 0, got {args.weight_decay}")
    train, evals = _split(args, rng)
    names, index = _label_ids(args, train, evals)
    tokenizer = BERTTokenizerFast.from_pretrained(folder)
    model = load_pretrained(BERTForSequenceClassification, folder, args.device, num_labels=len(names))
    if job is not None:
        job.replicate(model, args.seed)
    steps = args.epochs * math.ceil(len(train) / args.batch_size)
    warmup = int(round(steps * args.warmup_ratio))
    optimizer = AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    trainer = Trainer(model, tokenizer, optimizer,
                      LinearWarmupDecayLR(optimizer, num_warmup_steps=warmup, num_training_steps=steps),
                      args.device, min(args.max_length, model.config.max_position_embeddings), args.max_grad_norm,
                      shards=job)
    train_set, eval_set = _text_set(train, index), _text_set(evals, index)
    log(f"fine-tuning {folder} on {len(train)} examples ({len(evals)} for evaluation), labels: "
        f"{', '.join(names)}; {args.epochs} epoch(s), {steps} steps ({warmup} warm-up) on {args.device}"
        + (f" x {job.size} processes" if job is not None else ""))
    set_label_names(model.config, names)
    best = None
    for epoch in range(args.epochs):
        train_loss = trainer.train_epoch(train_set, args.batch_size, rng, f"epoch {epoch + 1}/{args.epochs}")
        if job is not None and not job.is_root:
            continue  # rank 0 evaluates, logs and saves
        if evals:
            loss, acc = trainer.evaluate(eval_set, max(args.batch_size, 32))
        else:
            loss, acc = train_loss, float("nan")
        improved = (best is None or (acc, -loss) > (best[0], -best[1])) if evals else True
        log(f"    epoch {epoch + 1}: train loss {train_loss:.4f}, eval loss {loss:.4f}, eval accuracy {acc:.3f}"
            + ("  (best, saved)" if improved else ""))
        if improved:
            best = (acc, loss, epoch + 1)
            model.save_pretrained(args.output_dir)
            tokenizer.save_pretrained(args.output_dir)
    if job is not None and not job.is_root:
        return 0
    print(f"best eval accuracy {best[0]:.3f} (loss {best[1]:.4f}) after epoch {best[2]}; saved to "
          f"{args.output_dir} in {time.perf_counter() - t0:.1f} s")
    return 0
