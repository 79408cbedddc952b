"""Perturbed copies of one app and the model's output on them, LEMNA's training data."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from droidlens.data.vocab import NULL_ID
from droidlens.explain.batching import copies_per_batch
from droidlens.models.base import Detector

__all__ = [
    "Perturbations",
    "largest_occlusion_position",
    "perturb_app",
    "sample_kept_calls",
    "window_positions",
]


@dataclass(frozen=True)
class Perturbations:
    """Perturbed copies of one app and the model's output on each.

    Attributes
    ----------
    design : ndarray of shape (n_samples, n_positions), float64
        ``1.0`` where the copy keeps the call at ``positions[j]``, ``0.0`` where it is
        nullified. Row 0 is the original app (all ones).
    target : ndarray of shape (n_samples,), float64
        The model's probability of the explained class for each copy.
    positions : ndarray of shape (n_positions,), int64
        The call position of each column; calls outside it are kept in every copy.
    prediction_seconds : float
        Time spent in model calls.
    """

    design: np.ndarray
    target: np.ndarray
    positions: np.ndarray
    prediction_seconds: float


def window_positions(seq_len: int, *, window: int | None, position: int | None) -> np.ndarray:
    """Return the positions perturbed: all calls, or those within ``window`` of ``position``.

    Raises
    ------
    ValueError
        If ``window`` is given without ``position`` or ``position`` is outside the app.
    """
    if window is None:
        return np.arange(seq_len, dtype=np.int64)
    if position is None or not 0 <= position < seq_len:
        raise ValueError(
            f"position must be a call position in [0, {seq_len}) when window is set; "
            f"got {position!r}."
        )
    return np.arange(max(0, position - window), min(seq_len, position + window + 1))


def sample_kept_calls(
    n_positions: int,
    *,
    n_samples: int,
    rng: np.random.Generator,
    fraction: float | None = None,
) -> np.ndarray:
    """Draw which calls each perturbed copy keeps.

    Parameters
    ----------
    n_positions : int
        Calls that may be nullified.
    n_samples : int
        Copies, the original included as row 0.
    rng : numpy.random.Generator
    fraction : float in (0, 1], optional
        Share of the calls nullified in every copy (rounded, at least one). When omitted,
        each copy nullifies a count drawn uniformly from ``1 .. n_positions``. A fixed share
        makes every copy keep the same number of calls. Flat regression coefficients then act
        as an intercept and can fit the outputs without singling out any call.

    Returns
    -------
    ndarray of shape (n_samples, n_positions), bool
        ``True`` where the call is kept; row 0 keeps every call. The nullified calls of a
        copy are a uniformly random subset of the drawn size.
    """
    n_drawn = n_samples - 1
    if fraction is None:
        n_nullified = rng.integers(1, n_positions + 1, size=n_drawn)
    else:
        n_nullified = np.full(n_drawn, max(1, round(fraction * n_positions)))
    order = np.argsort(rng.random((n_drawn, n_positions)), axis=1)
    nullified = np.arange(n_positions)[None, :] < n_nullified[:, None]

    kept = np.ones((n_samples, n_positions), dtype=bool)
    rows = np.broadcast_to(np.arange(1, n_samples)[:, None], order.shape)
    kept[rows[nullified], order[nullified]] = False
    return kept


def perturb_app(
    model: Detector,
    tokens: np.ndarray,
    *,
    target: int,
    rng: np.random.Generator,
    n_samples: int,
    fraction: float | None = None,
    positions: np.ndarray | None = None,
    memory_budget_mb: float = 256.0,
) -> Perturbations:
    """Nullify random subsets of an app's calls and record the model's output on each copy.

    Parameters
    ----------
    model : Detector
    tokens : ndarray of shape (seq_len, max_words)
        The app's calls, without padding.
    target : int
        Class whose probability is recorded: ``1`` malicious, ``0`` benign.
    rng : numpy.random.Generator
        The only source of randomness.
    n_samples : int
        Copies, the original included as row 0.
    fraction : float, optional
        See :func:`sample_kept_calls`.
    positions : ndarray of int, optional
        Positions that may be nullified (see :func:`window_positions`); all calls when
        omitted.
    memory_budget_mb : float, default=256.0
        Memory for one batch of copies; it sets how many copies run per forward pass.

    Returns
    -------
    Perturbations
    """
    seq_len = tokens.shape[0]
    columns = np.arange(seq_len) if positions is None else np.asarray(positions, dtype=np.int64)
    kept = sample_kept_calls(len(columns), n_samples=n_samples, rng=rng, fraction=fraction)
    batch_size = copies_per_batch(model, seq_len=seq_len, memory_budget_mb=memory_budget_mb)

    target_proba = np.empty(n_samples, dtype=np.float64)
    seconds = 0.0
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        mask = np.ones((stop - start, seq_len), dtype=bool)
        mask[:, columns] = kept[start:stop]
        batch = np.where(mask[:, :, None], tokens[None, :, :], NULL_ID).astype(np.int32)
        began = time.perf_counter()
        proba = model.predict_proba(batch, batch_size=stop - start)
        seconds += time.perf_counter() - began
        target_proba[start:stop] = proba[:, target]

    return Perturbations(
        design=kept.astype(np.float64),
        target=target_proba,
        positions=columns,
        prediction_seconds=seconds,
    )


def largest_occlusion_position(
    model: Detector, tokens: np.ndarray, *, target: int, memory_budget_mb: float = 256.0
) -> tuple[int, float]:
    """Return the call whose deletion lowers the target probability most, and the seconds taken.

    It uses the occlusion outputs of :func:`~droidlens.explain.occlusion.synthetic_y` (with
    the 1-layer BiLSTM's shared-deletion pass); ties go to the earlier call.
    """
    # Imported here: the occlusion module imports the solvers, which LEMNA needs only lazily.
    from droidlens.explain.occlusion import synthetic_y

    tokens = np.asarray(tokens, dtype=np.int32)
    began = time.perf_counter()
    original = model.predict_proba(tokens[None], batch_size=1)[0, target]
    seconds = time.perf_counter() - began
    outputs, occlusion_seconds = synthetic_y(model, tokens, memory_budget_mb=memory_budget_mb)
    drop = original - outputs[:, target]
    seconds += occlusion_seconds
    return int(np.argmax(drop)), seconds
