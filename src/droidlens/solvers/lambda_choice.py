"""Choosing the penalty weight: interleaved cross-validation or a target number of pieces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from droidlens.solvers._operators import difference_matrix
from droidlens.solvers._validation import check_signal
from droidlens.solvers.dispatch import smooth, smoother_order
from droidlens.solvers.path import fused_lasso_path

__all__ = ["LambdaChoice", "choose_lambda"]

_N_GRID = 30
_GRID_SPAN = 1e-4


@dataclass(frozen=True)
class LambdaChoice:
    """Chosen penalty weight and, for cross-validation, the error curve behind it.

    Attributes
    ----------
    lam : float
        The chosen lambda (minimum CV error, or the target number of pieces).
    lam_1se : float
        Largest lambda whose CV error is within one standard error of the minimum; equal
        to ``lam`` for ``method="pieces"``.
    lams : ndarray of shape (n_lams,)
        Lambdas tried, decreasing; empty for ``method="pieces"``.
    cv_error, cv_se : ndarray of shape (n_lams,)
        Mean held-out squared error over folds and its standard error.
    """

    lam: float
    lam_1se: float
    lams: np.ndarray
    cv_error: np.ndarray
    cv_se: np.ndarray


def _lambda_max(y: np.ndarray, order: int) -> float:
    """Return the smallest lambda at which the fit is a single polynomial of degree order."""
    if order == 0:
        return float(fused_lasso_path(y)[0]) if y.size > 1 else 0.0
    difference = difference_matrix(y.size, order)
    gram = (difference @ difference.T).toarray()
    return float(np.abs(np.linalg.solve(gram, difference @ y)).max())


def _cross_validate(
    y: np.ndarray, smoother: str, lams: np.ndarray, n_folds: int
) -> tuple[np.ndarray, np.ndarray]:
    positions = np.arange(y.size)
    fold_errors = np.empty((n_folds, lams.size))
    for fold in range(n_folds):
        held_out = positions % n_folds == fold
        kept = positions[~held_out]
        for j, lam in enumerate(lams):
            fit = smooth(y[kept], smoother=smoother, lam=float(lam)).coef
            predicted = np.interp(positions[held_out], kept, fit)
            fold_errors[fold, j] = np.mean((y[held_out] - predicted) ** 2)
    return fold_errors.mean(axis=0), fold_errors.std(axis=0, ddof=1) / np.sqrt(n_folds)


def _lambda_for_pieces(y: np.ndarray, n_pieces: int) -> float:
    knots = fused_lasso_path(y)
    if not 1 <= n_pieces <= y.size:
        raise ValueError(f"n_pieces must be between 1 and len(y) = {y.size}; got {n_pieces}.")
    if n_pieces == 1:
        return float(knots[0]) * 1.01 if knots.size else 0.0
    upper = knots[n_pieces - 2]
    lower = knots[n_pieces - 1] if n_pieces - 1 < knots.size else 0.0
    return float(0.5 * (upper + lower))


def choose_lambda(
    y: np.ndarray,
    *,
    smoother: str = "fusedlasso",
    method: str = "cv",
    n_folds: int = 5,
    n_pieces: int | None = None,
    lams: np.ndarray | None = None,
) -> LambdaChoice:
    """Choose the penalty weight for smoothing ``y``.

    Parameters
    ----------
    y : array_like of shape (n,)
        The signal, finite real values.
    smoother : str, default "fusedlasso"
        One of :data:`droidlens.solvers.SMOOTHERS`.
    method : {"cv", "pieces"}, default "cv"
        ``"cv"``: k-fold cross-validation in which fold f holds out the positions i with
        ``i % n_folds == f`` and predicts them by linear interpolation of the fit on the
        other positions, as R genlasso's ``cv.trendfilter``. ``"pieces"``: the lambda in
        the middle of the interval of the fused lasso path that has ``n_pieces`` pieces
        (fusedlasso only).
    n_folds : int, default 5
        Number of folds, 2 <= n_folds <= n / 2.
    n_pieces : int, optional
        Target number of constant pieces; required for ``method="pieces"``.
    lams : array_like, optional
        Lambdas to try; by default 30 values spaced evenly in log scale from the smallest
        lambda giving a single polynomial down to 1e-4 times it.

    Returns
    -------
    LambdaChoice

    Raises
    ------
    ValueError
        If an option is out of range or does not fit the smoother.

    Notes
    -----
    The cross-validation fits treat the kept positions as equally spaced, whereas
    genlasso's ``cv.trendfilter`` gives trend filters the true positions.
    The two agree
    for the fused lasso and differ slightly for trend filters. The folds are fixed by
    position, so the choice is deterministic.
    """
    values = check_signal(y)
    order = smoother_order(smoother)
    if method == "pieces":
        if order != 0 or n_pieces is None:
            raise ValueError(
                f"method='pieces' needs smoother='fusedlasso' and n_pieces; got "
                f"smoother={smoother!r}, n_pieces={n_pieces!r}."
            )
        lam = _lambda_for_pieces(values, int(n_pieces))
        empty = np.empty(0)
        return LambdaChoice(lam, lam, empty, empty, empty)
    if method != "cv":
        raise ValueError(f"method must be 'cv' or 'pieces'; got {method!r}.")
    if not (isinstance(n_folds, int) and 2 <= n_folds <= values.size // 2):
        raise ValueError(f"n_folds must be an integer in [2, {values.size // 2}]; got {n_folds!r}.")

    if lams is None:
        top = _lambda_max(values, order)
        grid = np.geomspace(top, top * _GRID_SPAN, _N_GRID) if top > 0 else np.zeros(1)
    else:
        grid = np.sort(np.asarray(lams, dtype=np.float64))[::-1]
        if grid.size == 0 or (grid < 0).any() or not np.isfinite(grid).all():
            raise ValueError("lams must be a non-empty array of finite values >= 0.")
    error, se = _cross_validate(values, smoother, grid, n_folds)
    best = int(np.argmin(error))
    within = np.flatnonzero(error <= error[best] + se[best])
    return LambdaChoice(float(grid[best]), float(grid[within.min()]), grid, error, se)
