"""Exact trend filtering of orders 1 to 3 by an interior-point method and a knot polish."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from droidlens.solvers._active_set import DualProblem, kkt_violation, polish_knots
from droidlens.solvers._interior_point import DualSolution, solve_dual_interior_point
from droidlens.solvers._operators import (
    apply_difference,
    apply_difference_transpose,
    primal_objective,
    solve_difference_transpose,
)
from droidlens.solvers._validation import check_lam, check_order, check_signal
from droidlens.solvers.result import SmoothingResult, SolverConvergenceWarning

__all__ = ["trend_filter"]

logger = logging.getLogger(__name__)


class _GapTier(NamedTuple):
    """Duality gap, relative to 1/2 ||y||^2, at which the polish is tried, and its effort."""

    gap: float
    n_candidates: int | None
    rounds_per_knot: float


# The interior-point method stops at each gap in turn and hands over to the polish, which
# tries that many starting knot sets (None: all), each for 20 rounds plus rounds_per_knot
# per starting knot. At 1e-10 the complementarity indicator is right for well-posed signals
# and needs at most about 0.4 rounds per knot on the genlasso reference signals. Nearly
# degenerate signals, such as flat synthetic-y columns at a small lam, need the tightest
# gap. The small budgets of the first tiers keep them from spending long there.
_GAP_TIERS = (
    _GapTier(1e-10, 1, 0.5),
    _GapTier(1e-12, 1, 0.5),
    _GapTier(1e-14, None, 2.0),
)
_ROUNDS_FIXED = 20
# Relative distances of |z_j| from lam below which row j starts as a knot.
_KNOT_THRESHOLDS = (1e-2, 1e-4, 1e-6, 1e-8)


@dataclass(frozen=True)
class _DualResult:
    """Dual point of the standardised problem and how it was certified.

    ``polished`` is True when the knot polish satisfied the KKT conditions to ``tol``.
    Otherwise ``gap_reached`` is True when the interior-point method reached its tightest
    duality gap.
    """

    z: np.ndarray
    n_iter: int
    violation: float
    polished: bool
    gap_reached: bool


def _knot_candidates(dual: DualSolution, lam: float) -> list[np.ndarray]:
    """Return distinct starting knot sets: the complementarity indicator, then thresholds."""
    indicator = (dual.mu_upper > lam - dual.z) | (dual.mu_lower > lam + dual.z)
    candidates: list[np.ndarray] = []
    for candidate in [indicator] + [
        np.abs(dual.z) >= lam * (1 - threshold) for threshold in _KNOT_THRESHOLDS
    ]:
        if not any(np.array_equal(candidate, seen) for seen in candidates):
            candidates.append(candidate)
    return candidates


def _polynomial_fit(y: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the least-squares polynomial fit of degree ``order`` and its dual point.

    The residual r of that fit is orthogonal to the polynomials, so ``D^T z = r`` has an
    exact solution, found by ``order + 1`` cumulative sums. The fit is the trend filter's
    solution exactly when ``|z|_inf <= lam``, so the largest ``|z_j|`` is the first knot of
    the solution path. The fit uses a Legendre basis on [-1, 1], which stays well
    conditioned where powers of the position would not.
    """
    positions = np.linspace(-1.0, 1.0, y.size)
    basis = np.polynomial.legendre.legvander(positions, order)
    coefficients, *_ = np.linalg.lstsq(basis, y, rcond=None)
    fit = basis @ coefficients
    return fit, solve_difference_transpose(y - fit, order)


def _solve_exact(
    y: np.ndarray, lam: float, order: int, *, tol: float, max_iter: int
) -> _DualResult:
    """Return the exact dual point, or the interior-point one where no knot set is found.

    The interior-point method runs to the first gap tier, and the polish then tries each
    starting knot set within its round budget. If none satisfies the KKT conditions to
    ``tol``, the method continues to the next tier and the polish tries again. Nearly
    degenerate signals, such as a flat synthetic-y column whose knots change ``D b`` by
    1e-10, usually need the tightest tier. If no knot set passes there either, the result
    is the interior-point point of that tier, whose duality gap bounds its distance from
    the optimum.
    """
    problem = DualProblem.build(y, lam, order)
    scale = max(0.5 * float(y @ y), np.finfo(float).tiny)

    dual: DualSolution | None = None
    n_iter = 0
    for tier in _GAP_TIERS:
        dual = solve_dual_interior_point(
            y,
            problem.difference,
            problem.banded,
            lam,
            tol=tier.gap * scale,
            max_iter=max_iter,
            start=dual,
        )
        n_iter += dual.n_iter
        last = dual
        for on_knot in _knot_candidates(dual, lam)[: tier.n_candidates]:
            budget = _ROUNDS_FIXED + int(tier.rounds_per_knot * on_knot.sum())
            polished = polish_knots(problem, dual.z, on_knot=on_knot, max_rounds=budget)
            n_iter += polished.n_rounds
            if polished.z is not None and polished.violation <= tol:
                return _DualResult(polished.z, n_iter, polished.violation, True, True)
    violation = kkt_violation(problem, last.z)
    return _DualResult(last.z, n_iter, violation, False, last.converged)


def trend_filter(
    y: np.ndarray, *, lam: float, order: int = 1, tol: float = 1e-9, max_iter: int = 200
) -> SmoothingResult:
    """Fit a piecewise polynomial by trend filtering, exactly up to rounding.

    Parameters
    ----------
    y : array_like of shape (n,)
        The signal, finite real values.
    lam : float
        Penalty weight, >= 0.
    order : {1, 2, 3}, default 1
        Degree of the pieces: 1 piecewise linear, 2 quadratic, 3 cubic.
    tol : float, default 1e-9
        Largest accepted violation of the optimality conditions by the polished knot set,
        measured on the signal standardised to zero mean and unit standard deviation,
        ``(y - mean) / std``.
    max_iter : int, default 200
        Maximum interior-point iterations per duality-gap tier.

    Returns
    -------
    SmoothingResult
        ``n_iter`` counts interior-point iterations plus knot-set corrections.

    Raises
    ------
    ValueError
        If ``y``, ``lam`` or ``order`` is invalid.

    Warns
    -----
    SolverConvergenceWarning
        If no knot set satisfies the optimality conditions to ``tol`` and the
        interior-point method does not reach its tightest duality gap. The result is then
        the last interior-point solution.

    Notes
    -----
    Minimises ``1/2 ||y - b||^2 + lam * ||D b||_1`` with D the unscaled (order+1)-th
    difference matrix, as R genlasso's ``trendfilter``. A primal-dual interior-point method
    solves the dual ``min 1/2 ||y - D^T z||^2`` subject to ``|z|_inf <= lam`` with banded
    Cholesky steps. The rows with ``|z_j| = lam`` are the knots of the fit. With them and
    their signs fixed the optimality conditions are a banded linear system. The polish solves
    it exactly, checks the conditions and corrects the knot set until the check passes.

    On nearly degenerate signals (a flat synthetic-y column with a few jumps, at a small
    lam) some knots change ``D b`` by about 1e-10 of the signal's spread, and the knot set
    is hard to read from the interior-point solution. The method then goes on to tighter
    duality gaps, and each polish stops after a bounded number of corrections. On the real
    and generated columns measured, the polish found the exact knots at the tightest gap,
    1e-14 times ``1/2 ||y_std||^2``. Should it fail there, the result is the interior-point
    solution at that gap, which bounds the distance to the optimum:
    ``||b - b*||_2 <= sqrt(2 * duality_gap)``, and ``duality_gap`` reports it. A warning
    is given only when neither the polish nor that gap is reached.

    When ``lam`` is at or past the first knot of the solution path, the solution is the
    least-squares polynomial of degree ``order``. It is returned directly, with
    ``n_iter = 0`` and a duality gap of 0. Penalties between about 1e4 times the signal's
    range and that knot condition the dual badly, and the solver may warn there.

    Examples
    --------
    >>> import numpy as np
    >>> from droidlens.solvers import trend_filter
    >>> y = np.array([0.0, 1.0, 2.0, 3.0, 2.0, 1.0, 0.0])
    >>> np.round(trend_filter(y, lam=0.5, order=1).coef, 3)
    array([0.173, 1.038, 1.904, 2.769, 1.904, 1.038, 0.173])
    """
    values = check_signal(y)
    lam = check_lam(lam)
    order = check_order(order, allowed=(1, 2, 3))
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol!r}.")
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}.")

    if values.size <= order + 1 or lam == 0:
        no_dual = np.zeros(max(values.size - order - 1, 0))
        return SmoothingResult(values.copy(), lam, 0.0, 0.0, 0, order, f"trend{order}", no_dual)

    # The dual solution is unchanged by a constant shift of y and scales with y and lam, so
    # the solver works on a standardised signal: a synthetic-y column varying by 1e-4 would
    # otherwise meet tolerances and step bounds sized for values near 1.
    scale = float(np.std(values))
    if not np.isfinite(scale) or scale == 0.0:
        scale = 1.0
    standardised = (values - values.mean()) / scale
    polynomial, polynomial_dual = _polynomial_fit(standardised, order)
    if np.max(np.abs(polynomial_dual)) <= lam / scale:
        # lam is at or past the first knot, so the fit is the least-squares polynomial.
        # Its penalty is zero exactly; evaluating D b in floating point would multiply
        # rounding errors by lam.
        coef = values.mean() + scale * polynomial
        objective = float(0.5 * np.sum((values - coef) ** 2))
        name = f"trend{order}"
        return SmoothingResult(coef, lam, objective, 0.0, 0, order, name, scale * polynomial_dual)
    solved = _solve_exact(standardised, lam / scale, order, tol=tol, max_iter=max_iter)
    z = solved.z * scale
    coef = values - apply_difference_transpose(z, order)
    penalty = apply_difference(coef, order)
    objective = primal_objective(values, coef, penalty, lam)
    gap = float(lam * np.abs(penalty).sum() - z @ penalty)

    if solved.polished:
        logger.debug(
            "trend%d lam=%g: exact after %d iterations, KKT violation %.1e",
            order,
            lam,
            solved.n_iter,
            solved.violation,
        )
    elif solved.gap_reached:
        logger.debug(
            "trend%d lam=%g: no consistent knot set; interior-point point with "
            "duality gap %.1e after %d iterations",
            order,
            lam,
            gap,
            solved.n_iter,
        )
    else:
        spread = float(np.ptp(values)) or 1.0
        warnings.warn(
            f"trend filter of order {order} at lam={lam:g} ({lam / spread:.1e} times the "
            f"signal's range) did not pass its optimality check after {solved.n_iter} "
            f"iterations (KKT violation {solved.violation:.1e} > tol={tol:.0e}); the fit is "
            f"approximate, with a duality gap of {gap:.1e}. A penalty far above the signal's "
            "range leaves the problem badly conditioned: a smaller lam or a lower order "
            "avoids it.",
            SolverConvergenceWarning,
            stacklevel=2,
        )
    return SmoothingResult(coef, lam, objective, gap, solved.n_iter, order, f"trend{order}", z)
