"""``lucid-bert finetune``: fine-tune ``BERTForSequenceClassification`` on a labelled file with
AdamW, linear warm-up then linear decay, gradient clipping and an evaluation after every
epoch; the best epoch's checkpoint is saved with its tokenizer, label names and
``--max-length``, and the run's metrics beside it (:mod:`~lucid.cli.metrics`). Under
``mpiexec -n N`` the ranks share every batch (:mod:`lucid.cli.parallel`)."""

from __future__ import annotations

import contextlib
import os
import time

from lucid.data import DataCollatorWithPadding
from lucid.models import BERTForSequenceClassification
from lucid.models.bert.checkpoint import check_model_folder, set_label_names
from lucid.optim import AdamW
from lucid.optim.lr_scheduler import LinearWarmupDecayLR

from .errors import CLIError
from .metrics import MetricsLog, plot_curves
from .parallel import start_job
from .progress import log
from .readers import label_vocab, read_examples
from .session import load_pretrained, load_tokenizer, loading_notes, model_config, start
from .training import Trainer, encode_examples, loader

__all__ = ["DEFAULT_MAX_LENGTH", "run"]

#: ``--max-length`` when none is given (or the model's own limit, when that is smaller).
DEFAULT_MAX_LENGTH = 128


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


def _features(tokenizer, examples, index, max_length) -> list[dict]:
    """Examples tokenized once into collator features; with any ``text_pair``, a missing pair
    is the empty text."""
    if not examples:
        return []
    pairs = [ex.get("text_pair", "") for ex in examples] if any("text_pair" in ex for ex in examples) else None
    return encode_examples(tokenizer, [ex["text"] for ex in examples], pairs,
                           [index[ex["label"]] for ex in examples], max_length)


def run(args) -> int:
    """Fine-tune, evaluate after each epoch, keep the best checkpoint (by accuracy, then loss);
    write ``metrics.jsonl`` (and ``training_curves.png``) into ``--output-dir``.

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
    config = model_config(folder, args.max_length)
    max_length = args.max_length or min(DEFAULT_MAX_LENGTH, config.max_position_embeddings)
    train, evals = _split(args, rng)
    names, index = _label_ids(args, train, evals)
    tokenizer = load_tokenizer(folder, config)
    tokenizer.model_max_length = max_length  # saved in tokenizer_config.json: classify's default
    model = load_pretrained(BERTForSequenceClassification, folder, args.device, num_labels=len(names))
    if job is not None:
        job.replicate(model, args.seed)
    with loading_notes():  # a note when texts are longer than --max-length
        train_data = _features(tokenizer, train, index, max_length)
        eval_data = _features(tokenizer, evals, index, max_length)
    collate = DataCollatorWithPadding(tokenizer, device=args.device)
    train_batches = loader(train_data, args.batch_size, collate, shuffle=True, shards=job)
    eval_batches = loader(eval_data, max(args.batch_size, 32), collate)
    steps = args.epochs * len(train_batches)
    warmup = int(round(steps * args.warmup_ratio))
    optimizer = AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = LinearWarmupDecayLR(optimizer, num_warmup_steps=warmup, num_training_steps=steps)
    log(f"fine-tuning {folder} on {len(train)} examples ({len(evals)} for evaluation), labels: "
        f"{', '.join(names)}; {args.epochs} epoch(s), {steps} steps ({warmup} warm-up), at most {max_length} "
        f"tokens, on {args.device}" + (f" x {job.size} processes" if job is not None else ""))
    set_label_names(model.config, names)
    best, root = None, job is None or job.is_root
    with MetricsLog(os.path.join(args.output_dir, "metrics.jsonl")) if root else contextlib.nullcontext() as metrics:
        trainer = Trainer(model, optimizer, scheduler, args.max_grad_norm, shards=job,
                          on_step=None if metrics is None else lambda step, epoch, loss, lr:
                          metrics.write(step=step, epoch=epoch, loss=loss, learning_rate=lr))
        for epoch in range(args.epochs):
            train_loss = trainer.train_epoch(train_batches, f"epoch {epoch + 1}/{args.epochs}")
            if not root:
                continue  # rank 0 evaluates, logs and saves
            if evals:
                loss, acc = trainer.evaluate(eval_batches)
                metrics.write(step=trainer.step, epoch=float(epoch + 1), eval_loss=loss, eval_accuracy=acc)
            else:
                loss, acc = train_loss, float("nan")
            improved = (best is None or (acc, -loss) > (best[0], -best[1])) if evals else True
            log(f"    epoch {epoch + 1}: train loss {train_loss:.4f}, eval loss {loss:.4f}, eval accuracy {acc:.3f}"
                + ("  (best, saved)" if improved else ""))
            if improved:
                best = (acc, loss, epoch + 1)
                model.save_pretrained(args.output_dir)
                tokenizer.save_pretrained(args.output_dir)
    if not root:
        return 0
    plotted = plot_curves(metrics.records, os.path.join(args.output_dir, "training_curves.png"))
    print(f"best eval accuracy {best[0]:.3f} (loss {best[1]:.4f}) after epoch {best[2]}; saved to "
          f"{args.output_dir} with metrics.jsonl{' and training_curves.png' if plotted else ''} in "
          f"{time.perf_counter() - t0:.1f} s")
    return 0
