"""The grids of k used by fidelity curves: by count of calls and by percent of length."""

from __future__ import annotations

import numpy as np

__all__ = ["count_grid", "percent_grid", "k_for_percent"]


def count_grid(max_len: int, *, dense_until: int = 10, step: int = 10) -> np.ndarray:
    """Return ``0, 1, ..., dense_until``, then every ``step`` up to and including ``max_len``.

    Examples
    --------
    >>> count_grid(35).tolist()
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 35]
    """
    if max_len < 0:
        raise ValueError(f"max_len must be non-negative, got {max_len}")
    dense = np.arange(0, min(dense_until, max_len) + 1)
    sparse = np.arange(dense_until + step, max_len + 1, step, dtype=np.int64)
    grid = np.unique(np.concatenate([dense, sparse, [max_len]]))
    return grid.astype(np.int64)


def percent_grid(step: int = 1) -> np.ndarray:
    """Return ``0, step, ..., 100`` (percent of each app's length)."""
    if not 1 <= step <= 100:
        raise ValueError(f"percent step must be in 1..100, got {step}")
    return np.unique(np.append(np.arange(0, 101, step), 100)).astype(np.int64)


def k_for_percent(seq_len: np.ndarray, percent: float) -> np.ndarray:
    """Return the number of calls that ``percent`` of each length keeps, rounded up.

    Rounding up makes any positive percent keep at least one call, and 100 keep all.
    """
    seq_len = np.asarray(seq_len, dtype=np.int64)
    return np.ceil(seq_len * (percent / 100.0) - 1e-9).astype(np.int64).clip(0, seq_len)
