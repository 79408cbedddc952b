"""The main job as library calls: train, evaluate, explain, measure fidelity, or all of them.

Each command of the command line calls one function here.
"""

from droidlens.pipeline.apps import select_apps
from droidlens.pipeline.evaluation import EvaluationResult, evaluate_run
from droidlens.pipeline.explaining import explain_run
from droidlens.pipeline.fidelity_run import FidelityResult, fidelity_run
from droidlens.pipeline.training import TrainSettings, TrainSummary, train_run

__all__ = [
    "EvaluationResult",
    "FidelityResult",
    "TrainSettings",
    "TrainSummary",
    "evaluate_run",
    "explain_run",
    "fidelity_run",
    "select_apps",
    "train_run",
]
