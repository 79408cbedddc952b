"""LEMNA: a mixture of fused-lasso regressions fitted around one app.

Importing this package registers the method ``"lemna"`` in
:data:`droidlens.explain.registry.METHODS`.
"""

from droidlens.explain.lemna.method import LEMNA_SPEC, explain_lemna
from droidlens.explain.lemna.mixture import (
    EMConvergenceWarning,
    FusedMixtureRegression,
    default_lambda,
)
from droidlens.explain.lemna.perturb import Perturbations, perturb_app, sample_kept_calls
from droidlens.explain.lemna.regression import FusedRegressionFit, fit_fused_regression

__all__ = [
    "EMConvergenceWarning",
    "FusedMixtureRegression",
    "FusedRegressionFit",
    "LEMNA_SPEC",
    "Perturbations",
    "default_lambda",
    "explain_lemna",
    "fit_fused_regression",
    "perturb_app",
    "sample_kept_calls",
]
