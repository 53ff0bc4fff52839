"""``lucid-bert ner``: the entities of each text, with their labels and character offsets."""

from __future__ import annotations

import json

from lucid.models import BERTForTokenClassification

from .readers import gather_texts
from .session import open_model

__all__ = ["run"]


def run(args) -> int:
    """Print each text, then one line per entity: ``label<TAB>start:end<TAB>score<TAB>entity``
    (``--json``: one object per text with its entities). Label names come from ``id2label``
    in the folder's ``config.json``; B-/I- tags are merged (Hugging Face's ``"simple"``
    aggregation) and ``O`` is left out.

    Example:
        >>> import argparse
        >>> run(argparse.Namespace(seed=0, device="cpu", model="no/such/folder", texts=["Ada"], file=None,
        ...                        max_length=None))
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model folder at 'no/such/folder'
    """
    tokenizer, model = open_model(args, BERTForTokenClassification, "classifier.", args.max_length)
    texts = [t for t, _ in gather_texts(args.texts, args.file)]
    for begin in range(0, len(texts), args.batch_size):
        chunk = texts[begin:begin + args.batch_size]
        for text, entities in zip(chunk, model.predict_entities_from_text(tokenizer, chunk,
                                                                          max_length=args.max_length)):
            if args.json:
                print(json.dumps({"text": text, "entities": entities}, ensure_ascii=False))
                continue
            print(text)
            for e in entities:
                print(f"  {e['label']}\t{e['start']}:{e['end']}\t{e['score']:.4f}\t{e['entity']}")
    return 0
