"""The two types every weights declaration is made of: an entry and the enum holding entries."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

__all__ = ["WeightEntry", "WeightsEnum"]

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class WeightEntry:
    """One pretrained checkpoint: a public Hugging Face Hub repository at a revision.

    Args:
        repo_id: the repository, ``"org/name"``; it publishes ``config.json`` and
            ``model.safetensors``.
        revision: a commit hash (pinned: the files never change) or a branch name.
        meta: what the checkpoint is (``dataset``, ``num_labels``, ``license``, ...).

    Example:
        >>> entry = WeightEntry("google-bert/bert-base-uncased", "main")
        >>> entry.repo_id, entry.pinned
        ('google-bert/bert-base-uncased', False)
    """

    repo_id: str
    revision: str
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def pinned(self) -> bool:
        """Whether ``revision`` is a commit hash."""
        return bool(_COMMIT.match(self.revision))


class WeightsEnum(enum.Enum):
    """The pretrained checkpoints of one model class, in the original Lucid's style: each
    member's value is a :class:`WeightEntry`, and ``DEFAULT`` is an alias of the preferred one.

    A member goes wherever a checkpoint does: ``Cls.from_pretrained(member)``, or
    :meth:`download` for the local folder.

    Example:
        >>> class Tiny_Weights(WeightsEnum):
        ...     ONE = WeightEntry("org/tiny", "main")
        ...     DEFAULT = ONE
        >>> Tiny_Weights.DEFAULT is Tiny_Weights.ONE, Tiny_Weights.ONE.tag, Tiny_Weights.ONE.repo_id
        (True, 'ONE', 'org/tiny')
    """

    @property
    def tag(self) -> str:
        """The member's name (for ``DEFAULT``, the name of the member it aliases)."""
        return self.name

    @property
    def repo_id(self) -> str:
        """The Hub repository, ``"org/name"``."""
        return self.value.repo_id

    @property
    def revision(self) -> str:
        """The commit hash or branch downloaded."""
        return self.value.revision

    @property
    def pinned(self) -> bool:
        """Whether the revision is a commit hash (the files never change)."""
        return self.value.pinned

    @property
    def meta(self) -> dict:
        """What the checkpoint is (dataset, labels, licence)."""
        return self.value.meta

    def download(self, *, cache_dir=None) -> str:
        """Fetch the files lucid reads into the Hugging Face cache (once) and return the local
        folder (``from_pretrained`` of the models and of the tokenizer also take the member itself).

        Example:
            >>> from lucid.weights import BERT_Weights
            >>> folder = BERT_Weights.DEFAULT.download()  # doctest: +SKIP
        """
        from ..models.bert.hub import download

        return download(self.repo_id, revision=self.revision, cache_dir=cache_dir)
