"""Small detectors and app batches with known explanations, shared by the fidelity tests."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from droidlens.data.encode import EncodedApps
from droidlens.models.base import Detector

MARKER = 7
"""The word id that makes an app malicious for :class:`MarkerCountDetector`."""
VOCAB_SIZE = 12
MAX_WORDS = 3


class MarkerCountDetector(Detector):
    """Malicious logit ``weight * (count of MARKER words) - weight / 2``, benign logit 0.

    An app is called malicious iff one of its real calls contains the marker word, and only the
    calls that contain it carry any relevance.
    """

    model_name = "marker-count"

    def __init__(self, weight: float = 4.0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB_SIZE, 1, padding_idx=0)
        with torch.no_grad():
            self.embedding.weight.zero_()
            self.embedding.weight[MARKER] = 1.0
        self.weight = weight

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        count = self.embedding(calls).sum(dim=(1, 2, 3))
        malicious = self.weight * count - self.weight / 2
        return torch.stack([torch.zeros_like(malicious), malicious], dim=1)


def make_apps(
    n_apps: int = 8, seq_len: int = 10, *, seed: int = 0
) -> tuple[EncodedApps, np.ndarray]:
    """Return apps where even rows are malicious with one marker call, and the marker positions.

    Odd rows are benign and hold no marker; their marker position is -1.
    """
    rng = np.random.default_rng(seed)
    tokens = np.zeros((n_apps, seq_len, MAX_WORDS), dtype=np.int32)
    tokens[:, :, :2] = rng.integers(3, MARKER, size=(n_apps, seq_len, 2))
    markers = np.full(n_apps, -1, dtype=np.int64)
    for row in range(0, n_apps, 2):
        markers[row] = rng.integers(seq_len)
        tokens[row, markers[row], 1] = MARKER
    lengths = np.full(n_apps, seq_len, dtype=np.int64)
    encoded = EncodedApps(
        ids=[f"app{row}" for row in range(n_apps)],
        labels=(np.arange(n_apps) % 2 == 0).astype(np.int64),
        tokens=tokens,
        seq_len=lengths,
        n_calls=lengths.copy(),
    )
    return encoded, markers


def marker_first_rankings(encoded: EncodedApps, markers: np.ndarray) -> list[np.ndarray]:
    """Return rankings that put the marker call first and keep the other calls in order."""
    rankings = []
    for row in range(len(encoded)):
        order = np.arange(int(encoded.seq_len[row]))
        if markers[row] >= 0:
            order = np.concatenate([[markers[row]], np.delete(order, markers[row])])
        rankings.append(order)
    return rankings
