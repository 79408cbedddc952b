"""Weighted fused-lasso regression by accelerated proximal gradient (FISTA).

The EM of :mod:`droidlens.explain.lemna.mixture` solves one such regression per mixture
component in every iteration, warm-started from the previous iteration. This module solves
the K problems of one M-step together, so each iteration reads the design matrix twice in
all, not twice per component.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from droidlens.solvers import fused_lasso

try:
    # NOTE: this is the compiled kernel of droidlens.solvers.fused_lasso. The public function
    # also computes the objective and duality gap, which took about 90% of a 2000-value prox
    # in a profile. Switch to a public entry point once droidlens.solvers offers one.
    from droidlens.solvers.fused import _condat
except ImportError:  # pragma: no cover - depends on the solver module's private names
    _condat = None  # type: ignore[assignment]

__all__ = ["FusedRegressionFit", "fit_fused_regression", "fused_regression_objective"]

_TINY = 1e-300
_MIN_RELATIVE_CURVATURE = 1e-12


@dataclass(frozen=True)
class FusedRegressionFit:
    """Solution of one weighted fused-lasso regression.

    Attributes
    ----------
    coef : ndarray of shape (n_features,)
        The coefficients beta.
    objective : float
        ``1/2 sum_i w_i (y_i - x_i beta)^2 + lam * sum_j |beta_{j+1} - beta_j|`` at ``coef``.
    n_iter : int
        FISTA iterations taken.
    converged : bool
        Whether the relative step fell below ``tol`` before ``max_iter``.
    """

    coef: np.ndarray
    objective: float
    n_iter: int
    converged: bool


def fused_regression_objective(
    X: np.ndarray, y: np.ndarray, coef: np.ndarray, *, lam: float, sample_weight: np.ndarray
) -> float:
    """Return ``1/2 sum_i w_i (y_i - x_i coef)^2 + lam * sum_j |coef_{j+1} - coef_j|``."""
    residual = y - X @ coef
    return float(0.5 * np.dot(sample_weight, residual**2) + lam * np.abs(np.diff(coef)).sum())


def fit_fused_regression(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lam: float,
    sample_weight: np.ndarray | None = None,
    coef_init: np.ndarray | None = None,
    tol: float = 1e-8,
    max_iter: int = 10_000,
) -> FusedRegressionFit:
    """Fit a weighted fused-lasso regression without intercept.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Design matrix.
    y : array_like of shape (n_samples,)
        Response.
    lam : float
        Penalty weight on the first differences of the coefficients, >= 0.
    sample_weight : array_like of shape (n_samples,), optional
        Non-negative weights; all ones when omitted.
    coef_init : array_like of shape (n_features,), optional
        Starting coefficients (a warm start); zeros when omitted.
    tol : float, default=1e-8
        Stop when ``||beta_t - beta_{t-1}|| <= tol * ||beta_t||``.
    max_iter : int, default=10000
        Iteration cap.

    Returns
    -------
    FusedRegressionFit

    Raises
    ------
    ValueError
        If the shapes disagree, a value is not finite, a weight or ``lam`` is negative, or
        ``tol`` or ``max_iter`` is not positive.

    Notes
    -----
    Minimises ``1/2 sum_i w_i (y_i - x_i beta)^2 + lam * sum_j |beta_{j+1} - beta_j|``, the
    scaling of R genlasso's regression form. Each iteration takes a gradient step of length
    ``1/L`` and applies the exact proximal operator of the penalty, the 1-D fused lasso
    (:func:`droidlens.solvers.fused_lasso`). ``L`` is the largest absolute row sum of
    ``|X|^T W |X|``, an upper bound on the largest eigenvalue of ``X^T W X`` that costs one
    matrix-vector product (10% above it on one 500 x 2000 LEMNA design). Momentum follows
    FISTA (Beck and Teboulle, 2009) and is reset whenever the step points against it, the
    gradient restart of O'Donoghue and Candes ("Adaptive restart for accelerated gradient
    schemes", Foundations of Computational Mathematics, 2015).

    Examples
    --------
    With the identity as design the problem is the 1-D fused lasso of ``y``:

    >>> import numpy as np
    >>> from droidlens.explain.lemna import fit_fused_regression
    >>> fit = fit_fused_regression(np.eye(4), [0.0, 0.0, 1.0, 1.0], lam=0.5, tol=1e-12)
    >>> fit.coef.round(6)
    array([0.25, 0.25, 0.75, 0.75])
    """
    design, response = _check_problem(X, y)
    n_samples, n_features = design.shape
    weight = _check_vector(
        np.ones(n_samples) if sample_weight is None else sample_weight, n_samples, "sample_weight"
    )
    if np.any(weight < 0):
        raise ValueError("sample_weight must be >= 0; pass non-negative weights.")
    start = _check_vector(
        np.zeros(n_features) if coef_init is None else coef_init, n_features, "coef_init"
    )
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0; got {lam}.")
    if tol <= 0 or max_iter < 1:
        raise ValueError(f"tol must be > 0 and max_iter >= 1; got tol={tol}, max_iter={max_iter}.")

    coef, n_iter, converged = solve_fused_regressions(
        design, response, weight[:, None], start[:, None], lam=lam, tol=tol, max_iter=max_iter
    )
    objective = fused_regression_objective(
        design, response, coef[:, 0], lam=lam, sample_weight=weight
    )
    return FusedRegressionFit(
        coef=coef[:, 0], objective=objective, n_iter=n_iter, converged=bool(converged[0])
    )


def solve_fused_regressions(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    coef: np.ndarray,
    *,
    lam: float,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int, np.ndarray]:
    """Solve K weighted fused-lasso regressions that share ``X`` and ``y``, without checks.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        The products with ``X`` run in its dtype. float32 halves their time and still
        represents a 0/1 design exactly, but it adds about 1e-7 relative rounding to the
        gradient. The coefficients and the prox stay in float64.
    y : ndarray of shape (n_samples,)
    weights : ndarray of shape (n_samples, K)
        Sample weights of each problem, >= 0.
    coef : ndarray of shape (n_features, K)
        Starting coefficients; not modified.
    lam, tol, max_iter
        See :func:`fit_fused_regression`.

    Returns
    -------
    coef : ndarray of shape (n_features, K)
    n_iter : int
    converged : ndarray of shape (K,), bool
    """
    abs_x = np.abs(X)
    lipschitz = (abs_x.T @ (weights * (abs_x.sum(axis=1))[:, None])).max(axis=0)
    lipschitz = lipschitz.astype(np.float64)
    work_weights = weights.astype(X.dtype)
    work_y = y.astype(X.dtype)[:, None]
    # A problem whose weights are negligible next to the largest one keeps its coefficients:
    # its step 1/L would be huge and its gradient lost to underflow.
    active = lipschitz > _MIN_RELATIVE_CURVATURE * lipschitz.max()
    step = np.divide(1.0, lipschitz, out=np.zeros_like(lipschitz), where=active)

    current = np.array(coef, dtype=np.float64, copy=True)
    extrapolated = current.copy()
    momentum = np.ones(current.shape[1])
    converged = np.zeros(current.shape[1], dtype=bool)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        fitted = X @ extrapolated.astype(X.dtype)
        gradient = (X.T @ (work_weights * (fitted - work_y))).astype(np.float64)
        moved = extrapolated - step * gradient
        updated = np.empty_like(current)
        for k in range(current.shape[1]):
            updated[:, k] = _prox_total_variation(moved[:, k], lam * step[k])

        change = updated - current
        converged = np.linalg.norm(change, axis=0) <= tol * np.maximum(
            np.linalg.norm(updated, axis=0), _TINY
        )
        restart = np.einsum("ij,ij->j", extrapolated - updated, change) > 0
        next_momentum = np.where(restart, 1.0, (1.0 + np.sqrt(1.0 + 4.0 * momentum**2)) / 2.0)
        factor = np.where(restart, 0.0, (momentum - 1.0) / next_momentum)
        extrapolated = updated + factor * change
        current, momentum = updated, next_momentum
        if converged.all():
            break
    return current, n_iter, converged


def _prox_total_variation(values: np.ndarray, lam: float) -> np.ndarray:
    """Return ``argmin_b 1/2 ||values - b||^2 + lam * sum_j |b_{j+1} - b_j|``."""
    if _condat is None:
        return fused_lasso(values, lam=lam).coef
    result = np.ascontiguousarray(values, dtype=np.float64).copy()
    if result.size > 1 and lam > 0:
        _condat(np.ascontiguousarray(values, dtype=np.float64), lam, result)
    return result


def _check_problem(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    design = np.ascontiguousarray(X, dtype=np.float64)
    response = np.ascontiguousarray(y, dtype=np.float64)
    if design.ndim != 2 or design.shape[0] == 0 or design.shape[1] == 0:
        raise ValueError(f"X must be a non-empty 2-D array; got shape {design.shape}.")
    if response.shape != (design.shape[0],):
        raise ValueError(
            f"y must have shape ({design.shape[0]},) to match X {design.shape}; "
            f"got {response.shape}."
        )
    if not (np.isfinite(design).all() and np.isfinite(response).all()):
        raise ValueError("X and y must be finite; remove or impute NaN and infinite values.")
    return design, response


def _check_vector(values: object, size: int, name: str) -> np.ndarray:
    vector = np.ascontiguousarray(values, dtype=np.float64)
    if vector.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},); got {vector.shape}.")
    if not np.isfinite(vector).all():
        raise ValueError(f"{name} must be finite; remove or impute NaN and infinite values.")
    return vector
