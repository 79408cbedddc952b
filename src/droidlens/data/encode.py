"""Turn apps into the integer arrays that detectors read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from droidlens.data.records import App
from droidlens.data.tokenize import split_call
from droidlens.data.vocab import NULL_ID, PAD_ID, Vocabulary

__all__ = ["EncodedApps", "encode_apps", "nullify"]


@dataclass
class EncodedApps:
    """A batch of encoded apps.

    Attributes
    ----------
    ids : list of str
        App ids, in row order.
    labels : ndarray of shape (n_apps,), dtype int64
        ``1`` malicious, ``0`` benign, ``-1`` unknown.
    tokens : ndarray of shape (n_apps, max_seq_len, max_words), dtype int32
        Word ids; rows are padded with :data:`~droidlens.data.vocab.PAD_ID` after ``seq_len``.
    seq_len : ndarray of shape (n_apps,), dtype int64
        Calls kept per app (at most ``max_calls``).
    n_calls : ndarray of shape (n_apps,), dtype int64
        Calls in the input before truncation.
    """

    ids: list[str]
    labels: np.ndarray
    tokens: np.ndarray
    seq_len: np.ndarray
    n_calls: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: Sequence[int] | np.ndarray) -> EncodedApps:
        """Return the apps at ``rows``, trimmed to the longest of them."""
        rows = np.asarray(rows, dtype=np.int64)
        width = int(self.seq_len[rows].max()) if len(rows) else 0
        return EncodedApps(
            ids=[self.ids[i] for i in rows],
            labels=self.labels[rows],
            tokens=self.tokens[rows, : max(width, 1)],
            seq_len=self.seq_len[rows],
            n_calls=self.n_calls[rows],
        )

    def app_tokens(self, row: int) -> np.ndarray:
        """Return the ``(seq_len, max_words)`` tokens of one app, without padding."""
        return self.tokens[row, : int(self.seq_len[row])]


def encode_apps(apps: Sequence[App], vocab: Vocabulary) -> EncodedApps:
    """Encode apps with the vocabulary's tokenizer settings.

    Each call becomes up to ``max_words`` word ids followed by padding; each app keeps its first
    ``max_calls`` calls. Words missing from the vocabulary become
    :data:`~droidlens.data.vocab.UNK_ID`.

    Parameters
    ----------
    apps : sequence of App
        Apps to encode; an app with no calls gives a row of padding and ``seq_len`` 0.
    vocab : Vocabulary
        Vocabulary and tokenizer settings, usually the ones saved with a model.

    Returns
    -------
    EncodedApps
        Arrays trimmed to the longest kept app.
    """
    config = vocab.tokenizer
    seq_len = np.array([min(app.n_calls, config.max_calls) for app in apps], dtype=np.int64)
    width = max(int(seq_len.max()) if len(apps) else 0, 1)
    tokens = np.full((len(apps), width, config.max_words), PAD_ID, dtype=np.int32)

    call_cache: dict[str, np.ndarray] = {}
    for row, app in enumerate(apps):
        for position, call in enumerate(app.calls[: config.max_calls]):
            encoded = call_cache.get(call)
            if encoded is None:
                words = split_call(call, config=config)
                encoded = np.array([vocab.word_id(word) for word in words], dtype=np.int32)
                call_cache[call] = encoded
            tokens[row, position, : len(encoded)] = encoded

    return EncodedApps(
        ids=[app.app_id for app in apps],
        labels=np.array([app.label for app in apps], dtype=np.int64),
        tokens=tokens,
        seq_len=seq_len,
        n_calls=np.array([app.n_calls for app in apps], dtype=np.int64),
    )


def nullify(tokens: np.ndarray, positions: np.ndarray | Sequence[int]) -> np.ndarray:
    """Return a copy of one app's ``(seq_len, max_words)`` tokens with calls nullified.

    A nullified call has every word slot set to :data:`~droidlens.data.vocab.NULL_ID`;
    detectors skip it, so nullifying a call is the same as deleting it.
    """
    result = np.array(tokens, copy=True)
    result[np.asarray(positions, dtype=np.int64)] = NULL_ID
    return result
