"""Batch-encoding throughput (texts/s): lucid's BERTTokenizerFast against transformers.BertTokenizerFast.

Both run the same Rust tokenizer on the same learned WordPiece vocabulary and the same texts; what
differs is the Python around it (argument handling, settings, turning encodings into lists or arrays).

    python benchmarks/tokenizer_throughput.py [--texts 4000] [--repeats 7]
"""

import argparse
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # run from a checkout too
from lucid.data import load_corpus  # noqa: E402
from lucid.models import BERTTokenizerFast  # noqa: E402


def make_texts(n, seed=0):
    sentences = load_corpus()
    rng = random.Random(seed)
    return [" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 6))) for _ in range(n)]


def best_times(fns, repeats):
    """Best wall time of each function, run in turns so that load from other processes hits all alike."""
    for fn in fns:
        fn()  # warm up (thread pool, caches)
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()

    import transformers

    texts = make_texts(args.texts)
    pairs = make_texts(args.texts, seed=1)
    ours = BERTTokenizerFast.train_from_iterator(texts + pairs, vocab_size=8000, min_frequency=2)
    hf = transformers.BertTokenizerFast(vocab=ours.get_vocab(), model_max_length=512)
    m = args.max_length

    cases = {
        "single, lists, pad+truncate": (
            lambda: ours.batch_encode_plus(texts, max_length=m, return_tensor=False),
            lambda: hf(texts, padding=True, truncation=True, max_length=m, return_special_tokens_mask=True),
        ),
        "single, int64 arrays": (
            lambda: ours.batch_encode_plus(texts, max_length=m),
            lambda: hf(texts, padding=True, truncation=True, max_length=m, return_tensors="np",
                       return_special_tokens_mask=True),
        ),
        "pairs, int64 arrays": (
            lambda: ours.batch_encode_plus(texts, pairs, max_length=m),
            lambda: hf(texts, pairs, padding=True, truncation=True, max_length=m, return_tensors="np",
                       return_special_tokens_mask=True),
        ),
        "single, no padding": (
            lambda: ours.batch_encode_plus(texts, padding=False, truncation=False, return_tensor=False),
            lambda: hf(texts, return_special_tokens_mask=True),
        ),
    }
    # the two must agree before their speed means anything
    a = ours.batch_encode_plus(texts, pairs, max_length=m)
    b = hf(texts, pairs, padding=True, truncation=True, max_length=m, return_tensors="np",
           return_special_tokens_mask=True)
    for key in ("input_ids", "token_type_ids", "attention_mask"):  # only lucid marks an unknown word's [UNK]
        assert np.array_equal(a[key].numpy(), b[key]), key

    print(f"{args.texts} texts, vocab {ours.vocab_size}, max_length {m}, best of {args.repeats}; "
          f"transformers {transformers.__version__}")
    print(f"{'case':32s} {'lucid texts/s':>14s} {'transformers':>14s} {'ratio':>7s}")
    ratios = []
    for name, (ours_fn, hf_fn) in cases.items():
        t_ours, t_hf = best_times([ours_fn, hf_fn], args.repeats)
        ratio = t_hf / t_ours
        ratios.append(ratio)
        print(f"{name:32s} {args.texts / t_ours:14,.0f} {args.texts / t_hf:14,.0f} {ratio:6.2f}x")
    print(f"geometric-mean ratio (lucid speed / transformers speed): {np.exp(np.mean(np.log(ratios))):.2f}x")


if __name__ == "__main__":
    main()
