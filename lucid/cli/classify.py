"""``lucid-bert classify``: the predicted label and its probability for each text."""

from __future__ import annotations

import json

from lucid.models import BERTForSequenceClassification
from lucid.models.bert.checkpoint import check_model_folder, label_names

from .progress import show_progress
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
    class probability), the label names coming from the folder's ``config.json``. The texts run
    ``--batch-size`` at a time, longest first (see :func:`show_progress` for the bar). Texts are
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
    a = [t for t, _ in texts]
    b = [p or "" for _, p in texts] if any(p is not None for _, p in texts) else None
    with loading_notes():  # a TruncationWarning (one per call) becomes the note
        probs = model.predict_proba_from_text(tokenizer, a, b, max_length=max_length, batch_size=args.batch_size,
                                              progress=show_progress(args, len(texts))).numpy()
    for (text, pair), p in zip(texts, probs):
        _print(text, pair, p, names, args.json)
    return 0
