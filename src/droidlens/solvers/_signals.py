"""Signals shaped like real synthetic-y columns, for the solver tests and benchmarks."""

from __future__ import annotations

import numpy as np

__all__ = ["synthetic_y_column"]


def synthetic_y_column(seed: int, n: int = 2000) -> np.ndarray:
    """Return a column shaped like real synthetic y: flat, with effects near both ends.

    Deleting one of the first or last 70 calls moves the output by amounts that fall off
    from 1e-2 to 1e-8; in the middle only six calls change it, by about one float32 step.
    The values are rounded to float32, as a model's outputs are. At a penalty of 1 % of the
    range, trend filters of order 2 and 3 on such columns are nearly degenerate: some knots
    change ``D b`` by 1e-10 of the spread.
    """
    rng = np.random.default_rng(seed)
    y = np.full(n, 0.55)
    decay = np.exp(-np.arange(70) / 15)
    for edge in (np.arange(70), n - 1 - np.arange(70)):
        sizes = 10.0 ** rng.uniform(-8, -2, size=70)
        y[edge] += rng.choice([-1.0, 1.0], size=70) * sizes * decay
    middle = rng.choice(np.arange(100, n - 100), size=6, replace=False)
    y[middle] += rng.choice([-1.0, 1.0], size=6) * 6e-8
    return y.astype(np.float32).astype(np.float64)
