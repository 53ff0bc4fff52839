"""BERT on the CPU: lucid against PyTorch (transformers) on the same random checkpoints.

Each side runs in its own process (so peak RSS is that framework's alone), 2 threads everywhere.
A round starts one worker per side, one after another; each loads and warms up, and once all are
ready each warms up again in turn (so none starts timing with caches the others' loading cooled).
Then they take turns, one timed iteration each while the others idle, the order rotating (A B,
B A, ...), until each has run ``--iters``: the sides are compared within seconds of each other,
so the minute-to-minute changes of this machine's speed fall on both. The table shows medians
over all rounds.

Cases (``--cases``, default all):

* ``forward``, ``train``: BERT-base sequence classification, batch 8 x 128 (one row half padded);
  no-grad forward, and a training step (zero grads + forward + loss + backward, train mode,
  dropout 0.1 on both sides).
* ``random_train``: the same training step on batches of 16 whose token lengths are drawn
  (seeded) from a log-normal mix clipped to [8, 256] with median 50, each batch padded to its
  longest; one iteration runs every batch once (a few different batches, so no lucky one decides).
* ``small_forward``: no-grad forward of all-MiniLM-L6's shape (6 layers, hidden 384, 12 heads,
  intermediate 1536), batch 32 x 64, the mask as in ``forward``.
* ``classify``: 1,000 English-like texts of the same length mix through the public API,
  ``model.predict_labels_from_text(tokenizer, texts)``, against transformers'
  ``pipeline("text-classification", batch_size=32)`` and against transformers with the texts sorted
  by token length by hand (batches of 32, no-grad, results put back in input order). The wall time
  of the whole call, tokenization included; one iteration is one call on all texts. All three
  must agree on >= 99% of the labels. The pipeline is ~3x slower than the other two, so
  ``--pipeline-rounds K`` runs it in the first ``K`` rounds only (default: every round).

The inputs (ids, masks, labels, texts) are built once here in the parent, seeded, and read by
both sides from the temporary folder, as are the checkpoints and the tokenizer files. Throughput
counts real (unpadded) tokens, or texts. ``--tiny`` runs every case on a tiny model with few
texts, one round of one iteration, to check the plumbing in seconds (its numbers mean nothing).

    python benchmarks/bert_cpu.py                          # all cases, 3 rounds x 3 iterations
    python benchmarks/bert_cpu.py --cases forward train --rounds 5 --iters 3 --json out.json
    python benchmarks/bert_cpu.py --cases classify --rounds 5 --iters 1 --pipeline-rounds 1
    python benchmarks/bert_cpu.py --tiny
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

THREADS = 2
# run from a checkout: the repository root holds the lucid package
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BASE = {}  # transformers.BertConfig's defaults are BERT-base
MINILM = dict(num_hidden_layers=6, hidden_size=384, num_attention_heads=12, intermediate_size=1536)
TINY = dict(num_hidden_layers=2, hidden_size=32, num_attention_heads=2, intermediate_size=64)
SETTINGS = {  # per size: the two models, texts to classify, batches of random lengths
    "full": dict(base=BASE, small=MINILM, texts=1000, random_batches=4),
    "tiny": dict(base=TINY, small=TINY, texts=48, random_batches=2),
}
PAUSE_S = 0.05  # before each timed iteration: the last side's spinning OpenMP threads go to sleep
FULL_BATCH, FULL_SEQ, SMALL_BATCH, SMALL_SEQ, RANDOM_BATCH, TEXT_BATCH = 8, 128, 32, 64, 16, 32
LENGTH_MEDIAN, LENGTH_SIGMA, LENGTH_RANGE = 50, 0.7, (8, 256)  # log-normal token lengths, clipped

# case -> (the model folder it uses, the sides it runs: lucid first, then the references)
CASES = {
    "forward": ("base", ("lucid", "torch")),
    "train": ("base", ("lucid", "torch")),
    "random_train": ("base", ("lucid", "torch")),
    "small_forward": ("small", ("lucid", "torch")),
    "classify": ("base", ("lucid", "pipeline", "sorted")),
}
# table rows: (label, case, reference side, measure, target ratio lucid / reference); measure
# "time" compares median times, "rss" peak RSS. classify's >= 1.5x (1.0x) throughput is a time
# ratio <= 1/1.5 (1/1.0).
ROWS = [
    ("forward, BERT-base 8x128", "forward", "torch", "time", 0.9),
    ("train step, BERT-base 8x128", "train", "torch", "time", 0.9),
    ("train step, random lengths", "random_train", "torch", "time", 0.7),
    ("forward, MiniLM shape 32x64", "small_forward", "torch", "time", 1.0),
    ("classify vs pipeline", "classify", "pipeline", "time", 1 / 1.5),
    ("classify vs hand-sorted", "classify", "sorted", "time", 1.0),
    ("peak RSS forward 8x128", "forward", "torch", "rss", 1.0),
]


# ---- inputs, built in the parent -----------------------------------------------------------------
def _lengths(rng, n):
    """``n`` token lengths from the log-normal mix, clipped to LENGTH_RANGE."""
    import numpy as np

    raw = rng.lognormal(np.log(LENGTH_MEDIAN), LENGTH_SIGMA, size=n)
    return np.clip(np.rint(raw), *LENGTH_RANGE).astype(np.int64)


def _padded_batch(rng, lengths, vocab_size):
    """Random ids for rows of the given real lengths, padded (id 0, mask 0) to the longest."""
    import numpy as np

    ids = rng.integers(1000, vocab_size, size=(len(lengths), int(lengths.max())))
    mask = (np.arange(ids.shape[1]) < lengths[:, None]).astype(np.int64)
    return ids * mask, mask, rng.integers(0, 2, size=(len(lengths),))


def _full_batch(rng, batch, seq, vocab_size):
    """A full batch with its first row half padded (the mask convention of the full-batch cases)."""
    import numpy as np

    lengths = np.full(batch, seq)
    lengths[0] = seq // 2
    ids, mask, labels = _padded_batch(rng, lengths, vocab_size)
    return ids, mask, labels


def _make_inputs(path, vocab_size, random_batches):
    """Every case's tensors, seeded, in one .npz both sides read."""
    import numpy as np

    rng = np.random.default_rng(0)
    arrays = {}
    for name, batch, seq in (("full", FULL_BATCH, FULL_SEQ), ("small", SMALL_BATCH, SMALL_SEQ)):
        arrays[f"{name}_ids"], arrays[f"{name}_mask"], arrays[f"{name}_labels"] = _full_batch(rng, batch, seq, vocab_size)
    for i in range(random_batches):
        ids, mask, labels = _padded_batch(rng, _lengths(rng, RANDOM_BATCH), vocab_size)
        arrays[f"random{i}_ids"], arrays[f"random{i}_mask"], arrays[f"random{i}_labels"] = ids, mask, labels
    np.savez(path, **arrays)
    return arrays


def _pieces(sentence):
    return re.findall(r"\w+|[^\w\s]", sentence)


def _make_texts(corpus, n):
    """``n`` texts cut from a stream of random corpus sentences, each as many tokens long (with
    [CLS] and [SEP]) as a draw from the length mix: every word and punctuation mark is one token
    in the vocabulary of :func:`_make_tokenizer`."""
    import numpy as np

    rng = np.random.default_rng(1)
    texts = []
    for length in _lengths(rng, n):
        pieces = []
        while len(pieces) < length - 2:
            pieces += _pieces(corpus[rng.integers(len(corpus))])
        texts.append(re.sub(r" ([^\w\s])", r"\1", " ".join(pieces[: length - 2])))
    return texts


def _make_tokenizer(folder, corpus):
    """An uncased WordPiece vocabulary of the corpus' words (plus letters and ``##`` letters for
    anything else), saved as transformers' BertTokenizerFast files, which lucid reads too."""
    import transformers

    words = sorted({p.lower() for s in corpus for p in _pieces(s)})
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
    vocab += [x for x in letters if x not in words] + ["##" + x for x in letters]
    path = os.path.join(folder, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    tok = transformers.BertTokenizerFast(vocab_file=path, do_lower_case=True, model_max_length=512)
    tok.save_pretrained(folder)
    return tok


def _make_checkpoint(folder, config, tok=None, texts=()):
    """A random sequence classifier saved in ``folder``. Given texts, its classifier is rescaled
    and its bias set so that the labels split about evenly over them (a random BERT's pooled
    outputs hardly vary, which would give every text one label and make the agreement check
    vacuous): the split lies in the widest gap between the middle half of their margins, not at
    the median, which can leave a text within float32 rounding of a tie."""
    import torch
    import transformers

    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(transformers.BertConfig(num_labels=2, **config)).eval()
    if texts:
        with torch.no_grad():
            model.classifier.weight.normal_(0, 1.0)
            logits = model(**tok(list(texts), padding=True, return_tensors="pt")).logits
            margins = (logits[:, 1] - logits[:, 0]).sort().values
            lo, hi = len(margins) // 4, max(len(margins) // 4 + 1, 3 * len(margins) // 4)
            i = lo + int((margins[lo + 1 : hi + 1] - margins[lo:hi]).argmax())
            split = (margins[i] + margins[i + 1]) / 2
            model.classifier.bias += torch.stack([split / 2, -split / 2])
    model.save_pretrained(folder, safe_serialization=True)
    return model.config


# ---- workers: one (side, case) per process -------------------------------------------------------
def _peak_rss_mib():
    """This process's peak resident memory. Linux's ``ru_maxrss`` survives ``exec``, so a worker's
    would start at the parent's RSS; ``VmHWM`` belongs to the process's own address space."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except OSError:  # not Linux: ru_maxrss in bytes (macOS) or KiB
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


def _load_case_inputs(data, case):
    import numpy as np

    if case == "classify":
        with open(os.path.join(data, "texts.json"), encoding="utf-8") as f:
            return json.load(f)
    arrays = np.load(os.path.join(data, "inputs.npz"))
    if case == "random_train":
        n = sum(1 for k in arrays.files if k.startswith("random") and k.endswith("_ids"))
        return [tuple(arrays[f"random{i}_{k}"] for k in ("ids", "mask", "labels")) for i in range(n)]
    name = "small" if case == "small_forward" else "full"
    return [tuple(arrays[f"{name}_{k}"] for k in ("ids", "mask", "labels"))]


def _worker_torch(folder, case, batches):
    import torch
    import transformers

    torch.set_num_threads(THREADS)
    model = transformers.BertForSequenceClassification.from_pretrained(folder)
    batches = [tuple(torch.from_numpy(a) for a in b) for b in batches]
    if case.endswith("forward"):
        model.eval()
        ids, mask, _ = batches[0]

        def step(warm_up):
            with torch.no_grad():
                model(input_ids=ids, attention_mask=mask).logits.sum().item()
    else:
        model.train()

        def step(warm_up):
            for ids, mask, labels in batches[:1] if warm_up else batches:
                model.zero_grad(set_to_none=True)
                model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
    return step


def _worker_lucid(folder, case, batches):
    import lucid
    from lucid.models import BERTForSequenceClassification

    model = BERTForSequenceClassification.from_pretrained(folder, num_labels=2)
    batches = [tuple(lucid.tensor(a) for a in b) for b in batches]
    if case.endswith("forward"):
        model.eval()
        ids, mask, _ = batches[0]

        def step(warm_up):
            with lucid.no_grad():
                model(input_ids=ids, attention_mask=mask).sum().item()
    else:
        model.train()

        def step(warm_up):
            for ids, mask, labels in batches[:1] if warm_up else batches:
                model.zero_grad()
                model.get_loss(labels=labels, input_ids=ids, attention_mask=mask).backward()
    return step


def _classify_lucid(folder, texts):
    from lucid.models import BERTForSequenceClassification, BERTTokenizerFast

    tok = BERTTokenizerFast.from_pretrained(folder)
    model = BERTForSequenceClassification.from_pretrained(folder)

    def step(warm_up):
        return model.predict_labels_from_text(tok, texts[:TEXT_BATCH] if warm_up else texts).tolist()
    return step


def _classify_pipeline(folder, texts):
    import torch
    import transformers

    torch.set_num_threads(THREADS)
    pipe = transformers.pipeline("text-classification", model=folder, tokenizer=folder, batch_size=TEXT_BATCH,
                                 device="cpu")
    label2id = pipe.model.config.label2id

    def step(warm_up):
        return [label2id[out["label"]] for out in pipe(texts[:TEXT_BATCH] if warm_up else texts)]
    return step


def _classify_sorted(folder, texts):
    """The best a transformers user can do by hand: sort by token length, batches of 32."""
    import torch
    import transformers

    torch.set_num_threads(THREADS)
    tok = transformers.BertTokenizerFast.from_pretrained(folder)
    model = transformers.BertForSequenceClassification.from_pretrained(folder).eval()

    def step(warm_up):
        chosen = texts[:TEXT_BATCH] if warm_up else texts
        lengths = [len(ids) for ids in tok(chosen)["input_ids"]]
        order = sorted(range(len(chosen)), key=lengths.__getitem__)
        labels = [0] * len(chosen)
        with torch.no_grad():
            for start in range(0, len(order), TEXT_BATCH):
                rows = order[start : start + TEXT_BATCH]
                enc = tok([chosen[i] for i in rows], padding=True, return_tensors="pt")
                for i, label in zip(rows, model(**enc).logits.argmax(-1).tolist()):
                    labels[i] = label
        return labels
    return step


_ANSWER = "@bert_cpu "  # marks a worker's answers on its stdout (whatever else is printed there is skipped)


def _serve(side, folder, data, case):
    """A worker: build the side's step, warm it up, say ``ready``; then per line on stdin, ``warm``
    runs the warm-up step again and ``go`` one timed step, answering with its time; ``done`` (or
    the end of stdin) answers with the peak RSS and the last result."""
    inputs = _load_case_inputs(data, case)
    if case == "classify":
        make = {"lucid": _classify_lucid, "pipeline": _classify_pipeline, "sorted": _classify_sorted}[side]
        step = make(folder, inputs)
    else:
        step = (_worker_lucid if side == "lucid" else _worker_torch)(folder, case, inputs)
    step(warm_up=True)
    result = None
    print(_ANSWER + json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command not in ("go", "warm"):
            break
        t = time.perf_counter()
        out = step(warm_up=command == "warm")
        elapsed = time.perf_counter() - t
        if command == "go":
            result = out
        print(_ANSWER + json.dumps({"time": elapsed}), flush=True)
    print(_ANSWER + json.dumps({"peak_rss_mib": _peak_rss_mib(), "labels": result}), flush=True)


class _Worker:
    """One side's worker process, 2 threads, driven a step at a time over its stdin/stdout."""

    def __init__(self, side, folder, data, case):
        env = dict(os.environ, **{name: str(THREADS) for name in (
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "LUCID_NUM_THREADS", "RAYON_NUM_THREADS")})
        self.side, self.name = side, f"{side} {case}"
        self.err = tempfile.TemporaryFile("w+")  # a file, not a pipe: a full pipe would stall the worker
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", side, "--folder", folder, "--data", data, "--case", case],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True, env=env)
        self._answer()  # ready: loaded and warmed up

    def _failed(self):
        self.kill()
        self.err.seek(0)
        raise SystemExit(f"{self.name} worker failed:\n{self.err.read()[-3000:]}")

    def _answer(self, command=None):
        try:
            if command is not None:
                self.proc.stdin.write(command + "\n")
                self.proc.stdin.flush()
            for line in self.proc.stdout:
                if line.startswith(_ANSWER):
                    return json.loads(line[len(_ANSWER):])
        except OSError:  # the worker is gone (a broken pipe)
            pass
        self._failed()

    def step(self, timed=True):
        """Run one iteration (timed, or the warm-up step) while the other workers idle; its seconds."""
        return self._answer("go" if timed else "warm")["time"]

    def finish(self):
        """``{"peak_rss_mib", "labels"}``, and the process ended."""
        out = self._answer("done")
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
        self.err.close()
        return out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---- the parent: build, run interleaved, report --------------------------------------------------
def _gemm_time(batch, seq, hidden, inter, layers, heads):
    """The forward's matmuls alone, in plain NumPy: a floor for any NumPy implementation."""
    import numpy as np

    rng = np.random.default_rng(0)
    tokens = batch * seq
    d = hidden // heads
    x = rng.standard_normal((tokens, hidden), dtype=np.float32)
    w = rng.standard_normal((hidden, hidden), dtype=np.float32)
    wi = rng.standard_normal((hidden, inter), dtype=np.float32)
    wo = rng.standard_normal((inter, hidden), dtype=np.float32)
    h = rng.standard_normal((tokens, inter), dtype=np.float32)
    q = rng.standard_normal((batch, heads, seq, d), dtype=np.float32)
    p = rng.standard_normal((batch, heads, seq, seq), dtype=np.float32)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(layers):
            for _ in range(4):
                x @ w
            x @ wi
            h @ wo
            q @ q.swapaxes(-1, -2)
            p @ q
        best = min(best, time.perf_counter() - t)
    flops = layers * (2 * tokens * hidden * (4 * hidden + 2 * inter) + 4 * batch * heads * seq * seq * d)
    return best, flops


def _load():
    one, five, fifteen = os.getloadavg()
    return {"time": time.strftime("%H:%M:%S"), "load": [round(one, 2), round(five, 2), round(fifteen, 2)]}


def _work_units(case, arrays, random_lengths, n_texts):
    """What one iteration processes: real tokens, or texts for classify."""
    if case == "classify":
        return n_texts, "texts/s"
    if case == "random_train":
        return sum(random_lengths), "tok/s"
    return int(arrays["small_mask" if case == "small_forward" else "full_mask"].sum()), "tok/s"


def _agreement(labels):
    """Share of texts on which lucid's label equals each reference's."""
    ours = labels["lucid"]
    return {side: sum(a == b for a, b in zip(ours, labels[side])) / len(ours) for side in ("pipeline", "sorted")}


def _summary(cases, results, units, agreement):
    rows = []
    for label, case, ref, measure, target in ROWS:
        if case not in cases:
            continue
        lu, to = results[case]["lucid"], results[case][ref]
        key = "median_s" if measure == "time" else "peak_rss_mib"
        ratio = lu[key] / to[key]
        rows.append({"row": label, "case": case, "reference": ref, "measure": measure, "lucid": lu[key],
                     "reference_value": to[key], "ratio": ratio, "target": target, "met": ratio <= target,
                     "unit": units[case][1], "lucid_per_s": units[case][0] / lu["median_s"],
                     "reference_per_s": units[case][0] / to["median_s"], "lucid_rss_mib": lu["peak_rss_mib"],
                     "reference_rss_mib": to["peak_rss_mib"]})
    out = {"rows": rows}
    if agreement is not None:
        out["label_agreement"] = agreement
    return out


def _print_table(rows):
    head = (f"{'case':30s}{'lucid':>10s}{'PyTorch':>10s}{'ratio':>7s}{'target':>9s}{'met':>5s}"
            f"{'lucid/s':>17s}{'PyTorch/s':>17s}{'RSS lucid':>11s}{'RSS PyTorch':>12s}")
    print(head)
    print("-" * len(head))
    for r in rows:
        fmt = (lambda v: f"{v:9.3f}s") if r["measure"] == "time" else (lambda v: f"{v:7.0f}MiB")
        print(f"{r['row']:30s}{fmt(r['lucid'])}{fmt(r['reference_value'])}{r['ratio']:6.2f}x"
              f"{'<= %.2fx' % r['target']:>9s}{'yes' if r['met'] else 'NO':>5s}"
              f"{r['lucid_per_s']:>9.0f} {r['unit']:<7s}{r['reference_per_s']:>9.0f} {r['unit']:<7s}"
              f"{r['lucid_rss_mib']:8.0f}MiB{r['reference_rss_mib']:9.0f}MiB")


def _length_stats(lengths):
    import numpy as np

    q = np.percentile(lengths, [0, 50, 90, 100])
    return f"min {q[0]:.0f}, median {q[1]:.0f}, p90 {q[2]:.0f}, max {q[3]:.0f}"


def _prepare(tmp, settings, cases):
    """The checkpoints, tokenizer files, tensors and texts the chosen cases read, in ``tmp``."""
    from lucid.data import load_corpus

    corpus = load_corpus()
    texts = _make_texts(corpus, settings["texts"])
    with open(os.path.join(tmp, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f)
    folders = {name: os.path.join(tmp, name) for name in ("base", "small")}
    for folder in folders.values():
        os.makedirs(folder)
    configs = {}
    if "classify" in cases:
        tok = _make_tokenizer(folders["base"], corpus)
        lengths = [len(ids) for ids in tok(texts)["input_ids"]]
        print(f"{len(texts)} texts, token lengths {_length_stats(lengths)}", file=sys.stderr)
        configs["base"] = _make_checkpoint(folders["base"], settings["base"], tok, texts[:TEXT_BATCH])
    for name in sorted({CASES[c][0] for c in cases} - set(configs)):
        configs[name] = _make_checkpoint(folders[name], settings[name])
    vocab_size = next(iter(configs.values())).vocab_size
    arrays = _make_inputs(os.path.join(tmp, "inputs.npz"), vocab_size, settings["random_batches"])
    return folders, configs, arrays, texts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=3)
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--tiny", action="store_true", help="a tiny model, few texts, 1 round of 1 iteration: checks the plumbing")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--pipeline-rounds", type=int, metavar="K",
                        help="run classify's pipeline side in the first K rounds only (default: every round)")
    parser.add_argument("--worker", choices=["lucid", "torch", "pipeline", "sorted"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=list(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        _serve(args.worker, args.folder, args.data, args.case)
        return
    if args.rounds < 1 or args.iters < 1:
        parser.error(f"--rounds and --iters must be at least 1, got {args.rounds} and {args.iters}")
    if args.pipeline_rounds is not None and args.pipeline_rounds < 1:
        parser.error(f"--pipeline-rounds must be at least 1, got {args.pipeline_rounds}")
    if args.tiny:
        args.rounds = args.iters = 1
    settings = SETTINGS["tiny" if args.tiny else "full"]
    cases = [c for c in CASES if c in args.cases]
    start = _load()
    print(f"load average (1, 5, 15 min) at start, {start['time']}: {start['load']}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        folders, configs, arrays, texts = _prepare(tmp, settings, cases)
        random_lengths = [int(m) for k in arrays if k.startswith("random") and k.endswith("_mask")
                          for m in arrays[k].sum(axis=1)]
        units = {c: _work_units(c, arrays, random_lengths, len(texts)) for c in cases}

        results = {c: {side: {"times": [], "rss": []} for side in CASES[c][1]} for c in cases}
        labels = {}
        for r in range(args.rounds):
            for case in cases:
                folder, sides = CASES[case]
                sides = [side for side in (sides if r % 2 == 0 else sides[::-1]) if not (
                    side == "pipeline" and args.pipeline_rounds is not None and r >= args.pipeline_rounds)]
                workers = []
                try:
                    for side in sides:  # one after another
                        workers.append(_Worker(side, folders[folder], tmp, case))
                    for w in workers:  # each warms up again in turn: none starts timing with cold caches
                        w.step(timed=False)
                    for i in range(args.iters):  # turns: one iteration each, the order rotating
                        for w in workers[i % len(workers):] + workers[: i % len(workers)]:
                            time.sleep(PAUSE_S)
                            results[case][w.side]["times"].append(w.step())
                    finished = [w.finish() for w in workers]
                finally:
                    for w in workers:
                        w.kill()
                for side, res in zip(sides, finished):
                    results[case][side]["rss"].append(res["peak_rss_mib"])
                    if case == "classify":
                        labels.setdefault(side, res["labels"])
                    times = results[case][side]["times"][-args.iters:]
                    print(f"round {r + 1} {case:13s} {side:8s} median {statistics.median(times):.3f} s",
                          file=sys.stderr, flush=True)

    for case in cases:
        for res in results[case].values():
            res["median_s"] = statistics.median(res["times"])
            res["peak_rss_mib"] = max(res.pop("rss"))
    agreement = _agreement(labels) if "classify" in cases else None
    summary = _summary(cases, results, units, agreement)
    end = _load()

    size = "TINY model (plumbing check, numbers mean nothing)" if args.tiny else "random checkpoints"
    print(f"\nlucid / PyTorch + transformers, {size}, {THREADS} threads, medians of {args.rounds} rounds x "
          f"{args.iters} iterations after warm-up; time per iteration, throughput in real (unpadded) tokens or "
          f"texts per second\n")
    _print_table(summary["rows"])
    print()
    if "classify" in cases:
        print("classify's targets, >= 1.5x the pipeline's and >= 1.0x hand-sorted transformers' texts/s, are "
              "the time ratios above")
        if args.pipeline_rounds is not None and args.pipeline_rounds < args.rounds:
            print(f"classify's pipeline ran in the first {args.pipeline_rounds} of the {args.rounds} rounds only")
    if "random_train" in cases:
        print(f"random lengths: {settings['random_batches']} batches of {RANDOM_BATCH} per iteration, "
              f"token lengths {_length_stats(random_lengths)}")
    if agreement is not None:
        share = sum(labels["lucid"]) / len(labels["lucid"])
        print(f"classify: {len(texts)} texts; lucid's labels equal the pipeline's on {100 * agreement['pipeline']:.1f}%,"
              f" the hand-sorted run's on {100 * agreement['sorted']:.1f}% (label 1 on {100 * share:.0f}% of texts)")
    if "forward" in cases:
        cfg = configs["base"]
        gemm, flops = _gemm_time(FULL_BATCH, FULL_SEQ, cfg.hidden_size, cfg.intermediate_size,
                                 cfg.num_hidden_layers, cfg.num_attention_heads)
        lu, to = results["forward"]["lucid"]["median_s"], results["forward"]["torch"]["median_s"]
        print(f"\nforward 8x128 GFLOP/s: lucid {flops / lu / 1e9:.0f}, PyTorch {flops / to / 1e9:.0f}, "
              f"plain NumPy GEMMs of the same shapes {flops / gemm / 1e9:.0f}; lucid forward split, estimated from "
              f"the plain GEMMs: matmul ~{gemm:.3f}s ({100 * gemm / lu:.0f}%), everything else ~{lu - gemm:.3f}s")
        summary["gemm_floor_s"] = gemm
    print(f"load average (1, 5, 15 min) at start, {start['time']}: {start['load']}; at the end, {end['time']}: "
          f"{end['load']}")

    if args.json:
        summary.update(load_start=start, load_end=end, rounds=args.rounds, iters=args.iters, tiny=args.tiny,
                       pipeline_rounds=args.pipeline_rounds,
                       threads=THREADS, cases={c: results[c] for c in cases},
                       lengths={"random_train": random_lengths, "classify_texts": len(texts)})
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    if agreement is not None and min(agreement.values()) < 0.99:
        raise SystemExit(f"classify: lucid's labels differ from transformers' on more than 1% of the texts: "
                         f"agreement {agreement}")


if __name__ == "__main__":
    main()
