"""The result type shared by every smoothing solver and its convergence warning."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SmoothingResult", "SolverConvergenceWarning"]


class SolverConvergenceWarning(UserWarning):
    """Issued when an iterative solver stops before reaching its tolerance."""


@dataclass(frozen=True)
class SmoothingResult:
    """Solution of one penalised least-squares problem.

    Attributes
    ----------
    coef : ndarray of shape (n,)
        The minimiser: the smoothed signal, or the regression coefficients.
    lam : float
        The penalty weight lambda the problem was solved at.
    objective : float
        The primal objective ``1/2 ||y - fit||^2 + lam * ||D coef||_1`` at ``coef``.
    duality_gap : float
        Primal objective minus the dual objective of a feasible dual point; zero up to
        rounding for the exact solvers.
    n_iter : int
        Work the solver did: scan steps of the fused lasso's direct algorithm, or
        interior-point iterations plus knot-set corrections of a trend filter (0 when the
        answer is the least-squares polynomial).
    order : int
        Degree of the piecewise polynomial: 0 for the fused lasso, k for a trend filter of
        order k (penalty on the (k+1)-th difference).
    name : str
        Name of the smoother, one of :data:`droidlens.solvers.SMOOTHERS` or
        ``"regression"``.
    dual : ndarray of shape (n_rows_of_D,) or None
        Dual vector z with ``|z| <= lam`` and, for the signal problems,
        ``coef = y - D^T z``; it certifies optimality. None when not computed.
    """

    coef: np.ndarray
    lam: float
    objective: float
    duality_gap: float
    n_iter: int
    order: int = 0
    name: str = "fusedlasso"
    dual: np.ndarray | None = None
