"""``lucid-bert demo``: learn a vocabulary, pre-train a tiny BERT with masked-LM, fine-tune a
sentiment classifier from it, test it on held-out reviews, save both models and reload the
classifier. Everything it reads ships with lucid; nothing is downloaded."""

from __future__ import annotations

import contextlib
import os
import time

from lucid.data import (SENTIMENT_LABELS, DataCollatorForLanguageModeling, DataCollatorWithPadding, load_corpus,
                        load_sentiment, train_test_split)
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast
from lucid.models.bert.checkpoint import set_label_names
from lucid.nn.kernels import single_threaded_blas
from lucid.optim import AdamW
from lucid.optim.lr_scheduler import LinearWarmupDecayLR

from .progress import log
from .session import load_pretrained, start
from .training import Trainer, encode_examples, loader

__all__ = ["DEMO_SENTENCES", "run", "single_blas_thread"]

DEMO_VOCAB_SIZE = 600
DEMO_SENTENCES = (
    "What a wonderful film, I loved every minute.",
    "The hotel was dreadful and the staff were rude.",
    "Honestly, the concert was brilliant.",
    "I regretted the trip, it was boring and tedious.",
)


@contextlib.contextmanager
def single_blas_thread():
    """Best effort: run a tiny model's loop with OpenBLAS at one thread, then restore the count.

    The demo's matrices are far too small to gain from threads, and on shared cores OpenBLAS
    threads spin-waiting for each other make it many times slower. Skipped when the user set
    ``OPENBLAS_NUM_THREADS``/``OMP_NUM_THREADS``; a no-op when NumPy's BLAS is not OpenBLAS.

    Example:
        >>> with single_blas_thread():
        ...     pass
    """
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        yield
        return
    with single_threaded_blas():
        yield


def _trainer(model, epochs, batches_per_epoch, lr, max_grad_norm=None):
    """AdamW with a tenth of the steps warming up, then linear decay to zero."""
    steps = epochs * batches_per_epoch
    optimizer = AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    scheduler = LinearWarmupDecayLR(optimizer, num_warmup_steps=max(1, steps // 10), num_training_steps=steps)
    return Trainer(model, optimizer, scheduler, max_grad_norm)


def _pretrain(tokenizer, texts, device, epochs):
    """A tiny BERT pre-trained with masked-LM on ``texts``, masked by the collator."""
    config = BERTConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=128, max_position_embeddings=64,
                        pad_token_id=tokenizer.pad_token_id, mask_token_id=tokenizer.mask_token_id,
                        cls_token_id=tokenizer.cls_token_id, sep_token_id=tokenizer.sep_token_id)
    mlm = BERTForMaskedLM(config).to(device)
    n_params = sum(p.size for p in mlm.parameters())
    log(f"[3/5] masked-LM pre-training: tiny BERT ({config.num_hidden_layers} layers, hidden "
        f"{config.hidden_size}, {n_params:,} parameters), {epochs} epoch(s) on {device}")
    batches = loader(encode_examples(tokenizer, texts, max_length=config.max_position_embeddings), 32,
                     DataCollatorForLanguageModeling(tokenizer, device=device), shuffle=True)
    trainer = _trainer(mlm, epochs, len(batches), lr=2e-3)
    for epoch in range(epochs):
        trainer.train_epoch(batches, f"pretrain {epoch + 1}/{epochs}")
    return mlm


def run(args) -> int:
    """Learn a vocabulary, pre-train with masked-LM, fine-tune a classifier, test, save, reload.

    Example:
        >>> from lucid.cli.parser import build_parser
        >>> args = build_parser().parse_args(["demo", "--quick", "--output-dir", "/tmp/demo"])
        >>> run(args)  # doctest: +SKIP
        held-out accuracy: ...
        0
    """
    t0 = time.perf_counter()
    start(args)
    device = args.device
    pre_epochs = args.pretrain_epochs if args.pretrain_epochs is not None else (2 if args.quick else 10)
    ft_epochs = args.epochs if args.epochs is not None else (3 if args.quick else 8)
    pre_dir, clf_dir = os.path.join(args.output_dir, "pretrained"), os.path.join(args.output_dir, "classifier")

    corpus = load_corpus()
    texts, labels = load_sentiment()
    train_idx, test_idx = train_test_split(len(texts), test_fraction=0.2, seed=args.seed)
    log(f"[1/5] data: {len(corpus)} corpus sentences; {len(train_idx)} labelled reviews for training, "
        f"{len(test_idx)} held out")

    # Only unlabelled text the model may see: the corpus and the training reviews.
    unlabelled = corpus + [texts[i] for i in train_idx]
    tokenizer = BERTTokenizerFast.train_from_iterator(unlabelled, vocab_size=DEMO_VOCAB_SIZE)
    log(f"[2/5] tokenizer: learned a WordPiece vocabulary of {tokenizer.vocab_size} tokens")

    mlm = _pretrain(tokenizer, unlabelled, device, pre_epochs)
    mlm.save_pretrained(pre_dir)
    tokenizer.save_pretrained(pre_dir)

    log(f"[4/5] fine-tuning BERTForSequenceClassification from {pre_dir}, {ft_epochs} epoch(s)")
    clf = load_pretrained(BERTForSequenceClassification, pre_dir, device, num_labels=len(SENTIMENT_LABELS))
    collate = DataCollatorWithPadding(tokenizer, device=device)

    def reviews(idx, batch_size, shuffle):
        features = encode_examples(tokenizer, [texts[i] for i in idx], labels=[labels[i] for i in idx],
                                   max_length=mlm.config.max_position_embeddings)
        return loader(features, batch_size, collate, shuffle)

    train, test = reviews(train_idx, 16, True), reviews(test_idx, 64, False)
    trainer = _trainer(clf, ft_epochs, len(train), lr=1e-3, max_grad_norm=1.0)
    acc = float("nan")
    for epoch in range(ft_epochs):
        trainer.train_epoch(train, f"finetune {epoch + 1}/{ft_epochs}")
        loss, acc = trainer.evaluate(test)
        log(f"    epoch {epoch + 1}: held-out loss {loss:.4f}, accuracy {acc:.3f}")
    set_label_names(clf.config, SENTIMENT_LABELS)
    clf.save_pretrained(clf_dir)
    tokenizer.save_pretrained(clf_dir)

    log(f"[5/5] saved {pre_dir} (masked LM) and {clf_dir} (classifier); reloading the classifier")
    clf2 = BERTForSequenceClassification.from_pretrained(clf_dir, num_labels=len(SENTIMENT_LABELS)).to(device)
    probs = clf2.predict_proba_from_text(tokenizer=BERTTokenizerFast.from_pretrained(clf_dir),
                                         text_a=list(DEMO_SENTENCES), device=device).numpy()
    print(f"held-out accuracy: {acc:.3f} on {len(test_idx)} reviews (chance: 0.500)")
    for text, p in zip(DEMO_SENTENCES, probs):
        k = int(p.argmax())
        print(f"  {SENTIMENT_LABELS[k]:<8} {p[k]:.3f}  {text}")
    print(f"saved: {pre_dir} (BERTForMaskedLM) and {clf_dir} (BERTForSequenceClassification); "
          f"total time {time.perf_counter() - t0:.1f} s")
    return 0


def run_single_threaded(args) -> int:
    """:func:`run` with OpenBLAS held at one thread (see :func:`single_blas_thread`).

    Example:
        >>> from lucid.cli.parser import build_parser
        >>> run_single_threaded(build_parser().parse_args(["demo", "--quick"]))  # doctest: +SKIP
        0
    """
    with single_blas_thread():
        return run(args)
