"""Word vocabulary with reserved ids for padding, the null call and unknown words."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from droidlens.data.tokenize import TokenizerConfig
from droidlens.errors import DataError

__all__ = ["Vocabulary", "PAD_ID", "NULL_ID", "UNK_ID", "N_RESERVED"]

PAD_ID = 0
"""Fills unused word slots of a call and the calls after an app's end."""
NULL_ID = 1
"""Written into every word slot of a nullified call. Detectors treat such a call as absent."""
UNK_ID = 2
"""A word that was not in the training split."""
N_RESERVED = 3

_RESERVED = ["<pad>", "<null>", "<unk>"]


class Vocabulary:
    """Map words to integer ids; ids 0, 1 and 2 are reserved.

    Parameters
    ----------
    words : iterable of str
        Words in id order, starting at id 3.
    tokenizer : TokenizerConfig
        How calls were split into words; stored so that new apps are encoded alike.
    """

    def __init__(self, words: Iterable[str], *, tokenizer: TokenizerConfig) -> None:
        self.words: list[str] = list(_RESERVED) + list(words)
        self.tokenizer = tokenizer
        self._index = {word: i for i, word in enumerate(self.words)}
        if len(self._index) != len(self.words):
            raise DataError("vocabulary words must be unique")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._index and self._index[word] >= N_RESERVED  # type: ignore[index]

    def word_id(self, word: str) -> int:
        """Return the id of ``word``, or :data:`UNK_ID` when it is not in the vocabulary."""
        return self._index.get(word, UNK_ID)

    @classmethod
    def build(
        cls,
        word_lists: Iterable[Iterable[str]],
        *,
        tokenizer: TokenizerConfig,
        min_count: int = 1,
    ) -> Vocabulary:
        """Build a vocabulary from the words of the training apps.

        Parameters
        ----------
        word_lists : iterable of iterable of str
            The words of every training call (one inner iterable per call or per app).
        tokenizer : TokenizerConfig
            Stored with the vocabulary.
        min_count : int, default=1
            Words seen fewer times become unknown.

        Returns
        -------
        Vocabulary
            Words ordered by decreasing count, ties alphabetically, so the ids are
            reproducible.
        """
        if min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {min_count}")
        counts: Counter[str] = Counter()
        for words in word_lists:
            counts.update(words)
        kept = [word for word, count in counts.items() if count >= min_count]
        kept.sort(key=lambda word: (-counts[word], word))
        return cls(kept, tokenizer=tokenizer)

    def save(self, path: str | Path) -> None:
        """Write the vocabulary and tokenizer settings as JSON."""
        payload = {
            "tokenizer": self.tokenizer.to_dict(),
            "reserved": {"pad": PAD_ID, "null": NULL_ID, "unknown": UNK_ID},
            "words": self.words[N_RESERVED:],
        }
        Path(path).write_text(json.dumps(payload, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`."""
        path = Path(path)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            tokenizer = TokenizerConfig(**payload["tokenizer"])
            return cls(payload["words"], tokenizer=tokenizer)
        except FileNotFoundError:
            raise DataError(f"vocabulary file not found: {path}") from None
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise DataError(f"{path}: invalid vocabulary file ({error})") from None
