"""``lucid-bert classify``: the predicted label and its probability for each text."""

from __future__ import annotations

import json

from lucid.data import TruncationWarning
from lucid.models import BERTForSequenceClassification
from lucid.models.bert.checkpoint import check_model_folder, label_names

from .errors import PROG
from .progress import log
from .readers import gather_texts
from .session import load_pretrained, load_tokenizer, loading_notes, model_config, start

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
    class probability), the label names coming from the folder's ``config.json``. Texts are
    truncated to ``--max-length`` tokens, by default to the length the model was fine-tuned
    with (``model_max_length`` in its ``tokenizer_config.json``, which ``finetune`` writes) or
    the model's maximum if that is smaller; one note at the end says how many were cut.

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
    config = model_config(folder, args.max_length)
    texts = gather_texts(args.texts, args.file)
    tokenizer = load_tokenizer(folder, config)
    max_length = args.max_length or min(tokenizer.model_max_length, config.max_position_embeddings)
    model = load_pretrained(BERTForSequenceClassification, folder, args.device, head="classifier.",
                            allow_untrained_head=args.allow_untrained_head)
    names = label_names(model.config, model.num_labels)
    has_pairs = any(b is not None for _, b in texts)
    with loading_notes() as caught:
        for start_at in range(0, len(texts), args.batch_size):
            chunk = texts[start_at:start_at + args.batch_size]
            a = [t for t, _ in chunk]
            b = [p or "" for _, p in chunk] if has_pairs else None
            probs = model.predict_proba_from_text(tokenizer, a, b, max_length=max_length).numpy()
            for (text, pair), p in zip(chunk, probs):
                _print(text, pair, p, names, args.json)
        # one note for the whole run instead of one per batch
        cut = [w for w in caught if isinstance(w.message, TruncationWarning)]
        caught[:] = [w for w in caught if w not in cut]
        if cut:
            log(f"{PROG}: note: {TruncationWarning(sum(w.message.count for w in cut), len(texts), max_length)}")
    return 0
