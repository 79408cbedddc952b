"""Helpers shared by the baseline methods: forward functions and torch seeding."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

from droidlens.data.vocab import NULL_ID
from droidlens.models.base import Detector

__all__ = [
    "app_tensor",
    "present_positions",
    "probability_forward",
    "seeded_torch",
]


def app_tensor(model: Detector, tokens: np.ndarray) -> torch.Tensor:
    """Return one app's ``(seq_len, max_words)`` tokens as a ``(1, seq_len, max_words)`` tensor."""
    array = np.asarray(tokens)
    if array.ndim != 2:
        raise ValueError(
            f"tokens must have shape (seq_len, max_words), got shape {array.shape}; "
            "pass one app without padding, e.g. EncodedApps.app_tokens(row)"
        )
    return torch.as_tensor(array, dtype=torch.long, device=model.device).unsqueeze(0)


def present_positions(tokens: np.ndarray) -> np.ndarray:
    """Return the positions of the real calls, those that are neither padding nor nullified."""
    return np.flatnonzero(np.asarray(tokens)[:, 0] > NULL_ID)


def probability_forward(model: Detector) -> Callable[[torch.Tensor], torch.Tensor]:
    """Return a function mapping tokens ``(batch, n, max_words)`` to softmax probabilities."""

    def forward(tokens: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(tokens.long()), dim=1)

    return forward


@contextmanager
def seeded_torch(rng: np.random.Generator, device: torch.device) -> Iterator[None]:
    """Seed torch's global generators from ``rng`` and restore their state on exit.

    Captum's sampling methods draw from torch's global generator; forking it keeps the
    caller's random state unchanged while making the samples depend on ``rng`` only.
    """
    seed = int(rng.integers(0, 2**63 - 1))
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
