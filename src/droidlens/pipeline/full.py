"""``droidlens run``: train, evaluate, explain and measure fidelity into one folder."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from droidlens.explain.options import ExplainOptions
from droidlens.explain.runner import ExplanationTable, find_method
from droidlens.models.base import Detector
from droidlens.models.io import load_run
from droidlens.pipeline.evaluation import EvaluationResult, evaluate_run
from droidlens.pipeline.explaining import explain_run
from droidlens.pipeline.fidelity_run import FidelityResult, fidelity_run
from droidlens.pipeline.training import TrainSettings, TrainSummary, train_run

__all__ = ["RunSummary", "run_pipeline"]

logger = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """Results of a whole run and where each was written."""

    out_dir: Path
    training: TrainSummary
    evaluation: EvaluationResult
    explanations: ExplanationTable
    fidelity: FidelityResult
    files: dict[str, Path] = field(default_factory=dict)


def run_pipeline(
    data: str | Path,
    out_dir: str | Path,
    *,
    test_data: str | Path | None = None,
    settings: TrainSettings | None = None,
    method: str = "occlusion",
    options: ExplainOptions | None = None,
    max_apps: int | None = None,
    seed: int = 0,
    write_json: bool = False,
    skip_invalid: bool = False,
    jobs: int = 1,
    progress: bool = False,
) -> RunSummary:
    """Train on ``data``, then evaluate, explain and run the synthetic test on the test apps.

    Parameters
    ----------
    data : str or Path
        Labelled apps to train on; their test split is what gets evaluated and explained
        unless ``test_data`` is given.
    out_dir : str or Path
        The run folder; everything goes there.
    test_data : str or Path, optional
        A separate labelled file to evaluate, explain and measure instead of the test split.
    settings : TrainSettings, optional
    method : str, default="occlusion"
    options : ExplainOptions, optional
    max_apps : int, optional
        Explain and measure only this many test apps (a stratified draw with ``seed``).
    seed : int, default=0
    write_json : bool, default=False
        Also write tables in the original system's JSON records layout.
    skip_invalid : bool, default=False
    jobs : int, default=1
        Worker processes for the explanations.
    progress : bool, default=False

    Raises
    ------
    DroidlensError
        If ``method`` is not a registered explanation method; checked before training.
    """
    find_method(method)
    settings = settings or TrainSettings(seed=seed)
    out_dir = Path(out_dir)
    training = train_run(
        data, out_dir, settings=settings, skip_invalid=skip_invalid, progress=progress
    )
    evaluation = (
        evaluate_run(out_dir, test_data=test_data, skip_invalid=skip_invalid)
        if test_data is not None
        else training.test
    )
    if evaluation is None:
        evaluation = evaluate_run(out_dir, skip_invalid=skip_invalid)
    explanations = explain_run(
        out_dir,
        method=method,
        options=options,
        test_data=test_data,
        max_apps=max_apps,
        seed=seed,
        write_json=write_json,
        skip_invalid=skip_invalid,
        jobs=jobs,
        progress=progress,
    )
    # explain_run always writes into the run folder, so every table has a path.
    tables: list[str | Path] = [cast(Path, explanations.path)]
    if hasattr(training_model(out_dir), "attention_weights") and method != "attention":
        # The attention model's own weights are a ranking too; measure it beside the method.
        attention = explain_run(
            out_dir,
            method="attention",
            test_data=test_data,
            max_apps=max_apps,
            seed=seed,
            write_json=write_json,
            skip_invalid=skip_invalid,
            progress=progress,
        )
        tables.append(cast(Path, attention.path))
    fidelity = fidelity_run(
        out_dir,
        explanations=tables,
        test_data=test_data,
        seed=seed,
        write_json=write_json,
        skip_invalid=skip_invalid,
        progress=progress,
    )
    files = {
        "run folder": out_dir,
        "metrics": evaluation.json_path,
        "explanations": explanations.path,
        **fidelity.files,
    }
    summary = RunSummary(
        out_dir,
        training,
        evaluation,
        explanations,
        fidelity,
        {k: v for k, v in files.items() if v is not None},
    )
    (out_dir / "summary.json").write_text(
        json.dumps(
            {
                "metrics": evaluation.metrics.as_dict(),
                "best_epoch": training.result.best_epoch,
                "files": {k: str(v) for k, v in summary.files.items()},
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return summary


def training_model(out_dir: Path) -> Detector:
    """Return the detector saved in a run folder."""
    return load_run(out_dir).model
