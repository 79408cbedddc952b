"""``droidlens explain --model RUN app.apk``: extract, predict and explain one app file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from droidlens.data.encode import encode_apps
from droidlens.errors import DataError
from droidlens.explain.options import ExplainOptions
from droidlens.explain.runner import explain_one
from droidlens.models.io import load_run
from droidlens.report.verdict import Verdict, build_verdict, render_verdict_text, write_verdict_html

__all__ = ["ApkVerdict", "explain_apk"]


@dataclass
class ApkVerdict:
    """The verdict on one app file, as data and as text."""

    verdict: Verdict
    text: str
    html_path: Path | None = None


def explain_apk(run_dir: str | Path, path: str | Path, *, method: str = "occlusion",
                options: ExplainOptions | None = None, top_k: int = 10, seed: int = 0,
                html: str | Path | None = None, width: int = 100) -> ApkVerdict:
    """Extract an APK (or dex or JAR) statically, classify it and explain the verdict.

    Parameters
    ----------
    run_dir : str or Path
        Run folder of a trained detector.
    path : str or Path
        The app file; it is parsed, never run.
    method : str, default="occlusion"
    options : ExplainOptions, optional
    top_k : int, default=10
        Calls listed in the table.
    seed : int, default=0
    html : str or Path, optional
        Also write a self-contained HTML page here.
    width : int, default=100
        Width of the text strip, in characters.

    Raises
    ------
    ExtractionError
        If the file is not an app androguard can read.
    DataError
        If no framework call was found in the app.
    """
    from droidlens.data.apk import extract_calls

    run = load_run(run_dir)
    app = extract_calls(path).to_app()
    if not app.calls:
        raise DataError(f"{path}: no framework API call was found, so there is nothing to "
                        "classify")
    encoded = encode_apps([app], run.vocab)
    explanation = explain_one(run.model, encoded.app_tokens(0), app_id=app.app_id,
                              label=app.label, method=method,
                              options=options or ExplainOptions(), seed=seed)
    verdict = build_verdict(app, explanation, top_k=top_k)
    html_path = write_verdict_html(verdict, html) if html is not None else None
    return ApkVerdict(verdict, render_verdict_text(verdict, width=width), html_path)
