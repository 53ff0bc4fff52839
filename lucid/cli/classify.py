"""``lucid-bert classify``: the predicted label and its probability for each text."""

from __future__ import annotations

import json

from lucid.models import BERTForSequenceClassification, BERTTokenizerFast
from lucid.models.bert.checkpoint import check_model_folder, label_names

from .readers import gather_texts
from .session import load_pretrained, start

__all__ = ["run"]


def _print(text, pair, probs, names, as_json):
    k = int(probs.argmax())
    if as_json:
        obj = {"text": text, "label": names[k], "probability": round(float(probs[k]), 6),
               "probabilities": {n: round(float(q), 6) for n, q in zip(names, probs)}}
        if pair is not None:
            obj["text_pair"] = pair
        print(json.dumps(obj, ensure_ascii=False))
    else:
        shown = text if pair is None else f"{text} ||| {pair}"
        print(f"{names[k]}\t{probs[k]:.4f}\t{shown}")


def run(args) -> int:
    """Print ``label<TAB>probability<TAB>text`` per text (``--json``: one object with every
    class probability), the label names coming from the folder's ``config.json``.

    Example:
        >>> import tempfile
        >>> from lucid.cli.parser import build_parser
        >>> a_file = tempfile.mkstemp(suffix=".csv")[1]
        >>> run(build_parser().parse_args(["classify", a_file, "hello"]))
        Traceback (most recent call last):
        ...
        NotADirectoryError: '...' is a file, expected a model folder (config.json, model.safetensors, vocab.txt)
    """
    start(args)
    folder = check_model_folder(args.model)
    texts = gather_texts(args.texts, args.file)
    tokenizer = BERTTokenizerFast.from_pretrained(folder)
    model = load_pretrained(BERTForSequenceClassification, folder, args.device, head="classifier.",
                            allow_untrained_head=args.allow_untrained_head)
    names = label_names(model.config, model.num_labels)
    has_pairs = any(b is not None for _, b in texts)
    for start_at in range(0, len(texts), args.batch_size):
        chunk = texts[start_at:start_at + args.batch_size]
        a = [t for t, _ in chunk]
        b = [p or "" for _, p in chunk] if has_pairs else None
        probs = model.predict_proba_from_text(tokenizer, a, b, max_length=args.max_length).numpy()
        for (text, pair), p in zip(chunk, probs):
            _print(text, pair, p, names, args.json)
    return 0
