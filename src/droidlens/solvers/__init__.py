"""Exact smoothing solvers: fused lasso, trend filters, their paths and lambda choice.

All problems use the scaling of R genlasso 1.6.1: ``1/2 ||y - b||^2 + lam * ||D b||_1`` with D
the unscaled difference matrix, no 1/n factor, no centring and no standardisation.

``DEFAULT_LAMBDA`` (0.01) is a starting penalty for smoothing probability signals by hand.
Explanations do not use it: they scale the penalty to each column, 1 % of its range
(:data:`droidlens.explain.occlusion.RELATIVE_LAMBDA`), because a confident detector moves its
probability by far less than 0.01 when one call goes. The signals are model probabilities in
[0, 1], one per call position. In a fused
lasso fit, a step of height h between flat runs of lengths n1 and n2 survives only when
h > lam * (1/n1 + 1/n2), and then shrinks by that amount; a one-call spike between two longer
runs needs h > 2 * lam. So ``lam = 0.01`` merges neighbouring calls whose probabilities differ
by less than about 0.01 and keeps changes of a few hundredths or more. A fixed value keeps
explanations deterministic and cheap; :func:`choose_lambda` (cross-validation or a target
number of pieces) is available when a data-driven choice is wanted.
"""

from droidlens.solvers.dispatch import SMOOTHERS, smooth
from droidlens.solvers.fused import fused_lasso
from droidlens.solvers.lambda_choice import LambdaChoice, choose_lambda
from droidlens.solvers.path import fused_lasso_path, solve_path
from droidlens.solvers.regression import fused_lasso_regression
from droidlens.solvers.result import SmoothingResult, SolverConvergenceWarning
from droidlens.solvers.trend import trend_filter

DEFAULT_LAMBDA: float = 0.01
"""Starting penalty for smoothing probability signals by hand (see the module docstring)."""

__all__ = [
    "DEFAULT_LAMBDA",
    "SMOOTHERS",
    "LambdaChoice",
    "SmoothingResult",
    "SolverConvergenceWarning",
    "choose_lambda",
    "fused_lasso",
    "fused_lasso_path",
    "fused_lasso_regression",
    "smooth",
    "solve_path",
    "trend_filter",
]
