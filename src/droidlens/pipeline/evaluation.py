"""Score a detector on labelled apps and save the metrics."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.fidelity.metrics import BinaryMetrics, binary_metrics
from droidlens.models.base import Detector
from droidlens.models.io import load_run
from droidlens.pipeline.apps import select_apps

__all__ = ["EvaluationResult", "evaluate_model", "evaluate_run", "format_metrics"]


@dataclass
class EvaluationResult:
    """Metrics of one evaluation and the files they were written to."""

    name: str
    metrics: BinaryMetrics
    json_path: Path | None = None
    csv_path: Path | None = None
    predictions_path: Path | None = None


def format_metrics(metrics: BinaryMetrics, *, title: str = "") -> str:
    """Return the metrics as a small text table, rates in percent."""
    lines = [title] if title else []
    lines.append(f"{'apps':<10}{metrics.n_apps:>10}")
    for name in ("accuracy", "tpr", "fpr", "f1", "precision"):
        lines.append(f"{name:<10}{100 * getattr(metrics, name):>10.2f}")
    lines.append(f"{'TP TN':<10}{metrics.tp:>5}{metrics.tn:>5}")
    lines.append(f"{'FP FN':<10}{metrics.fp:>5}{metrics.fn:>5}")
    return "\n".join(lines)


def evaluate_model(
    model: Detector,
    encoded: EncodedApps,
    *,
    name: str,
    run_dir: str | Path | None = None,
    batch_size: int = 100,
) -> EvaluationResult:
    """Predict the apps, compute the metrics and write them under ``run_dir/metrics``."""
    proba = model.predict_proba(encoded.tokens, batch_size=batch_size)
    predicted = (proba[:, 1] >= 0.5).astype(np.int64)
    metrics = binary_metrics(encoded.labels, predicted)
    result = EvaluationResult(name, metrics)
    if run_dir is not None:
        folder = Path(run_dir) / "metrics"
        folder.mkdir(parents=True, exist_ok=True)
        result.json_path = folder / f"{name}.json"
        # A rate with a zero denominator is NaN; JSON has no NaN, so it is written as null.
        values = {
            key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in metrics.as_dict().items()
        }
        result.json_path.write_text(json.dumps(values, indent=1), encoding="utf-8")
        result.csv_path = folder / f"{name}.csv"
        pd.DataFrame([metrics.as_dict()]).to_csv(result.csv_path, index=False)
        result.predictions_path = folder / f"{name}-predictions.csv"
        pd.DataFrame(
            {
                "id": encoded.ids,
                "label": encoded.labels,
                "p_benign": proba[:, 0],
                "p_malicious": proba[:, 1],
                "predicted": predicted,
            }
        ).to_csv(result.predictions_path, index=False)
    return result


def evaluate_run(
    run_dir: str | Path,
    *,
    data: str | Path | None = None,
    test_data: str | Path | None = None,
    skip_invalid: bool = False,
    batch_size: int = 100,
) -> EvaluationResult:
    """Evaluate a run folder's model on its test split or on another labelled file.

    The metrics go to ``run_dir/metrics/test.*`` or ``run_dir/metrics/test-data-<file stem>.*``.
    """
    run = load_run(run_dir)
    encoded, _ = select_apps(run, data=data, test_data=test_data, skip_invalid=skip_invalid)
    # A separate file gets its own name, so it never overwrites the test split's metrics.
    name = "test" if test_data is None else "test-data-" + Path(test_data).name.split(".")[0]
    return evaluate_model(run.model, encoded, name=name, run_dir=run_dir, batch_size=batch_size)
