"""Input checks shared by the public solver entry points."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_signal", "check_lam", "check_order"]


def check_signal(y: object, *, name: str = "y") -> np.ndarray:
    """Return ``y`` as a contiguous 1-D float64 array after checking it.

    Raises
    ------
    TypeError
        If ``y`` cannot be converted to floating point numbers.
    ValueError
        If ``y`` is not 1-D, is empty, or contains NaN or an infinite value.
    """
    try:
        values = np.ascontiguousarray(y, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a 1-D array of real numbers; got {type(y).__name__}: {error}"
        ) from error
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {values.shape}. Pass one signal.")
    if values.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value.")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(
            f"{name} must be finite; {name}[{bad[0]}] = {values[bad[0]]} "
            f"({bad.size} non-finite value(s) in total). Remove or impute them first."
        )
    return values


def check_lam(lam: object) -> float:
    """Return the penalty weight as a float after checking that it is finite and >= 0."""
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise TypeError(f"lam must be a real number; got {type(lam).__name__}: {lam!r}")
    value = float(lam)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"lam must be a finite number >= 0; got {value}.")
    return value


def check_order(order: object, *, allowed: tuple[int, ...]) -> int:
    """Return ``order`` after checking that it is one of ``allowed``."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order not in allowed:
        raise ValueError(f"order must be one of {allowed}; got {order!r}.")
    return int(order)
