"""Fused lasso regression: a conic solver for the pattern, an exact solve for the values."""

from __future__ import annotations

import logging
import warnings

import cvxpy as cp
import numpy as np
import scipy.linalg

from droidlens.solvers._operators import (
    apply_difference,
    apply_difference_transpose,
    solve_difference_transpose,
)
from droidlens.solvers._validation import check_lam, check_order, check_signal
from droidlens.solvers.result import SmoothingResult, SolverConvergenceWarning

__all__ = ["fused_lasso_regression"]

logger = logging.getLogger(__name__)

# Fractions of max |D beta| below which a difference of the conic solution counts as zero.
_FUSION_THRESHOLDS = (1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4)
_KKT_TOL = 1e-9


def _check_design(x: object, y: np.ndarray, sample_weight: object) -> tuple[np.ndarray, np.ndarray]:
    design = np.asarray(x, dtype=np.float64)
    if design.ndim != 2 or design.shape[0] != y.size:
        raise ValueError(
            f"X must have shape (n_samples, n_features) with n_samples = len(y) = {y.size}; "
            f"got shape {design.shape}."
        )
    if not np.isfinite(design).all():
        row, column = np.argwhere(~np.isfinite(design))[0]
        raise ValueError(f"X must be finite; X[{row}, {column}] = {design[row, column]}.")
    if sample_weight is None:
        return design, np.ones(y.size)
    weights = check_signal(sample_weight, name="sample_weight")
    if weights.size != y.size or (weights < 0).any():
        raise ValueError(
            f"sample_weight must contain len(y) = {y.size} values >= 0; got {weights.size} "
            f"values with minimum {weights.min():g}."
        )
    return design, weights


def _pattern_basis(n_features: int, order: int, kinks: np.ndarray) -> np.ndarray:
    """Return a basis of the vectors whose (order+1)-th difference is zero off ``kinks``.

    Order 0: one indicator column per fused group. Order 1: the piecewise-linear hat
    functions on the nodes 0, ``i + 1`` for each kink row i, and n_features - 1.
    """
    if order == 0:
        group = np.concatenate([[0], np.cumsum(np.isin(np.arange(n_features - 1), kinks))])
        basis = np.zeros((n_features, group[-1] + 1))
        basis[np.arange(n_features), group] = 1.0
        return basis
    positions = np.arange(n_features, dtype=np.float64)
    nodes = np.unique(np.concatenate([[0.0], kinks + 1.0, [n_features - 1.0]]))
    unit = np.eye(nodes.size)
    return np.column_stack([np.interp(positions, nodes, unit[j]) for j in range(nodes.size)])


def _solve_reduced(reduced: np.ndarray, y: np.ndarray, linear_term: np.ndarray) -> np.ndarray:
    """Return argmin_c 1/2 ||y - A c||^2 + linear_term^T c through a QR factor of A.

    Solving ``R^T R c = A^T y - linear_term`` with A = QR avoids squaring the condition
    number of A; a rank-deficient A (more features than samples) falls back to the
    least-norm solution of the normal equations.
    """
    q, r = scipy.linalg.qr(reduced, mode="economic")
    diagonal = np.abs(np.diag(r))
    if r.shape[0] < r.shape[1] or diagonal.min() <= 1e-12 * diagonal.max():
        gram = reduced.T @ reduced
        return np.linalg.lstsq(gram, reduced.T @ y - linear_term, rcond=None)[0]
    shifted = scipy.linalg.solve_triangular(r, linear_term, trans="T")
    return scipy.linalg.solve_triangular(r, q.T @ y - shifted)


def _dual_from_gradient(gradient: np.ndarray, lam: float, order: int) -> tuple[np.ndarray, float]:
    """Return z with ``lam * D^T z = -gradient`` and the residual of that equation."""
    z = solve_difference_transpose(-gradient / lam, order)
    residual = float(np.abs(lam * apply_difference_transpose(z, order) + gradient).max())
    return z, residual


def _polish(
    design: np.ndarray, y: np.ndarray, lam: float, order: int, beta: np.ndarray, threshold: float
) -> tuple[np.ndarray, float]:
    """Return the exact solution for the fusion pattern of ``beta`` and its KKT violation."""
    differences = apply_difference(beta, order)
    kinks = np.flatnonzero(np.abs(differences) > threshold)
    signs = np.sign(differences[kinks])
    basis = _pattern_basis(beta.size, order, kinks)

    reduced = design @ basis
    penalty_row = np.zeros(differences.size)
    penalty_row[kinks] = signs
    linear_term = lam * (basis.T @ apply_difference_transpose(penalty_row, order))
    exact = basis @ _solve_reduced(reduced, y, linear_term)

    # KKT: X^T (X beta - y) + lam D^T z = 0 with z = sign(D beta) on kinks and |z| <= 1.
    gradient = design.T @ (design @ exact - y)
    z, residual = _dual_from_gradient(gradient, lam, order)
    scale = max(1.0, float(np.abs(design.T @ y).max()))
    new_differences = apply_difference(exact, order)
    moving = np.abs(new_differences) > 1e-12 * max(1.0, float(np.abs(exact).max()))
    # Measured on the gradient scale, because z = -gradient / lam magnifies rounding at small lam.
    violation = (
        max(
            residual,
            lam * (float(np.abs(z).max(initial=0.0)) - 1.0),
            lam * float(np.abs(z[moving] - np.sign(new_differences[moving])).max(initial=0.0)),
        )
        / scale
    )
    return exact, violation


def fused_lasso_regression(
    X: np.ndarray,
    y: np.ndarray,
    *,
    lam: float,
    order: int = 0,
    sample_weight: np.ndarray | None = None,
) -> SmoothingResult:
    """Fit a linear model whose coefficients are fused along the feature axis.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Design matrix; no intercept is added.
    y : array_like of shape (n_samples,)
        Response.
    lam : float
        Penalty weight, >= 0. LEMNA uses ``sqrt(n_samples * log(n_features))``.
    order : {0, 1}, default 0
        0 penalises first differences (piecewise-constant coefficients), 1 second
        differences (piecewise-linear coefficients).
    sample_weight : array_like of shape (n_samples,), optional
        Non-negative weight multiplying each squared residual.

    Returns
    -------
    SmoothingResult
        ``coef`` has shape (n_features,); ``dual`` is z with
        ``X^T W (X coef - y) + lam D^T z = 0``; ``n_iter`` is the conic solver's count.

    Raises
    ------
    ValueError
        If an argument has the wrong shape, a non-finite value or a value out of range.

    Warns
    -----
    SolverConvergenceWarning
        If no fusion pattern gives an exact solution whose KKT violation, relative to
        ``max(1, |X^T W y|_inf)``, is below 1e-9.

    Notes
    -----
    Minimises ``1/2 sum_i w_i (y_i - x_i^T beta)^2 + lam * ||D beta||_1`` (R genlasso's
    ``fusedlasso`` without the small ridge term genlasso adds when n_features > n_samples).
    CLARABEL, through cvxpy, finds the fused groups and signs. With them fixed the problem
    is an equality-constrained least-squares problem, which is solved exactly before the KKT
    conditions are checked. When n_features > n_samples the minimiser may not be unique;
    the exact step then returns the least-norm solution for the pattern found.
    """
    response = check_signal(y)
    lam = check_lam(lam)
    order = check_order(order, allowed=(0, 1))
    design, weights = _check_design(X, response, sample_weight)
    root = np.sqrt(weights)
    design = design * root[:, None]
    response = response * root
    n_features = design.shape[1]

    beta = cp.Variable(n_features)
    penalty = cp.norm1(cp.diff(beta, order + 1)) if n_features > order + 1 else 0
    problem = cp.Problem(
        cp.Minimize(0.5 * cp.sum_squares(response - design @ beta) + lam * penalty)
    )
    problem.solve(solver=cp.CLARABEL)
    start = np.asarray(beta.value, dtype=np.float64)
    n_iter = int(problem.solver_stats.num_iters or 0)

    coef, violation = start, np.inf
    if lam > 0 and n_features > order + 1:
        size = float(np.abs(apply_difference(start, order)).max(initial=0.0))
        for fraction in _FUSION_THRESHOLDS:
            candidate, candidate_violation = _polish(
                design, response, lam, order, start, fraction * size
            )
            if candidate_violation < violation:
                coef, violation = candidate, candidate_violation
            if violation <= _KKT_TOL:
                break
    else:
        coef = np.linalg.lstsq(design, response, rcond=None)[0]
        violation = 0.0
    if violation > _KKT_TOL:
        warnings.warn(
            f"fused lasso regression at lam={lam:g} has a KKT violation of {violation:.2e} "
            f"> {_KKT_TOL:.0e}; the coefficients are approximate.",
            SolverConvergenceWarning,
            stacklevel=2,
        )

    residual = response - design @ coef
    differences = apply_difference(coef, order)
    objective = float(0.5 * residual @ residual + lam * np.abs(differences).sum())
    z, _ = _dual_from_gradient(-(design.T @ residual), max(lam, 1e-300), order)
    dual_point = np.clip(z, -1.0, 1.0) * lam
    # NOTE: the gap uses the primal residual and so is exact only at the optimum.
    gap = float(lam * np.abs(differences).sum() - dual_point @ differences)
    return SmoothingResult(coef, lam, objective, gap, n_iter, order, "regression", dual_point)
