"""BERT: configuration, backbone, task models, tokenizer and checkpoint loading."""

from .tokenizer import BERTTokenizerFast

__all__ = ["BERTTokenizerFast"]
