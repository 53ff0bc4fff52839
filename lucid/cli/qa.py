"""``lucid-bert qa``: the answer to a question, as a span of the context."""

from __future__ import annotations

import json

from lucid.models import BERTForQuestionAnswering

from .errors import CLIError
from .session import open_model

__all__ = ["run"]


def run(args) -> int:
    """Print the answer, its score and its character span in the context
    (``answer<TAB>score<TAB>start:end``; ``--json``: one object), using a question-answering
    checkpoint folder. ``(no answer)`` stands for the empty answer ``--allow-no-answer``
    permits. Windows overlap by ``--doc-stride`` tokens, by default half a window and at most
    128 (the question-answering pipeline's default).

    Example:
        >>> from lucid.cli.parser import build_parser
        >>> run(build_parser().parse_args(["qa", "no/such/folder", "--question", "Who?", "--context", "Ada."]))
        Traceback (most recent call last):
        ...
        FileNotFoundError: no model folder at 'no/such/folder'
    """
    for name in ("question", "context"):
        if not getattr(args, name).strip():
            raise CLIError(f"--{name} is empty")
    tokenizer, model = open_model(args, BERTForQuestionAnswering, "qa_outputs.", args.max_length)
    max_length = args.max_length or min(384, model.config.max_position_embeddings)
    doc_stride = min(max_length // 2, 128) if args.doc_stride is None else args.doc_stride
    answer = model.predict_answer_from_text(
        tokenizer, args.question, args.context, max_answer_length=args.max_answer_length, doc_stride=doc_stride,
        max_length=max_length, handle_impossible_answer=args.allow_no_answer, return_offsets=True)
    if args.json:
        print(json.dumps({"question": args.question, **answer}, ensure_ascii=False))
    else:
        print(f"{answer['answer'] or '(no answer)'}\t{answer['score']:.4f}\t{answer['start']}:{answer['end']}")
    return 0
