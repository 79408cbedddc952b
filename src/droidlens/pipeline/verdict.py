"""``droidlens explain --model RUN app.apk``: extract, predict and explain one app file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from droidlens.data.encode import encode_apps
from droidlens.data.records import App
from droidlens.errors import DataError
from droidlens.explain.options import ExplainOptions
from droidlens.explain.runner import explain_one
from droidlens.models.io import Run, load_run
from droidlens.report.verdict import Verdict, build_verdict, render_verdict_text, write_verdict_html

__all__ = ["ApkVerdict", "explain_apk", "explain_app"]


@dataclass
class ApkVerdict:
    """The verdict on one app, as data and as text.

    Attributes
    ----------
    verdict : Verdict
    text : str
        :func:`~droidlens.report.verdict.render_verdict_text` of ``verdict``.
    html_path : Path or None
        The HTML page, when one was written.
    """

    verdict: Verdict
    text: str
    html_path: Path | None = None


def explain_apk(
    run_dir: str | Path,
    path: str | Path,
    *,
    method: str = "occlusion",
    options: ExplainOptions | None = None,
    top_k: int = 10,
    seed: int = 0,
    html: str | Path | None = None,
    width: int = 100,
) -> ApkVerdict:
    """Extract an APK (or dex or JAR) statically, classify it and explain the verdict.

    Parameters
    ----------
    run_dir : str or Path
        Run folder of a trained detector.
    path : str or Path
        The app file; it is parsed, never run.
    method, options, top_k, seed, html, width
        As in :func:`explain_app`.

    Returns
    -------
    ApkVerdict

    Raises
    ------
    ModelError
        If ``run_dir`` is not a run folder that can be loaded.
    ExtractionError
        If the file is missing or is not an app androguard can read.
    DataError
        If no framework call was found in the app.
    """
    from droidlens.data.apk import extract_calls

    run = load_run(run_dir)
    app = extract_calls(path).to_app()
    if not app.calls:
        raise DataError(f"{path}: no framework API call was found, so there is nothing to classify")
    return _explain(
        run, app, method=method, options=options, top_k=top_k, seed=seed, html=html, width=width
    )


def explain_app(
    run_dir: str | Path,
    app: App,
    *,
    method: str = "occlusion",
    options: ExplainOptions | None = None,
    top_k: int = 10,
    seed: int = 0,
    html: str | Path | None = None,
    width: int = 100,
) -> ApkVerdict:
    """Classify an app already read into an :class:`App` and explain the verdict.

    Parameters
    ----------
    run_dir : str or Path
        Run folder of a trained detector.
    app : App
        The app; the model sees its first ``max_calls`` calls (from the run's tokenizer
        settings), and the verdict says how many calls were left unseen.
    method : str, default="occlusion"
        A registered explanation method.
    options : ExplainOptions, optional
        Method options; the default uses occlusion's default smoother.
    top_k : int, default=10
        Calls listed in the table.
    seed : int, default=0
        Seeds sampling methods.
    html : str or Path, optional
        Also write a self-contained HTML page here.
    width : int, default=100
        Width of the text, in characters (at least 40).

    Returns
    -------
    ApkVerdict

    Raises
    ------
    ModelError
        If ``run_dir`` is not a run folder that can be loaded.
    DataError
        If the app has no call.
    """
    if not app.calls:
        raise DataError(f"app {app.app_id} has no call, so there is nothing to classify")
    return _explain(
        load_run(run_dir),
        app,
        method=method,
        options=options,
        top_k=top_k,
        seed=seed,
        html=html,
        width=width,
    )


def _explain(
    run: Run,
    app: App,
    *,
    method: str,
    options: ExplainOptions | None,
    top_k: int,
    seed: int,
    html: str | Path | None,
    width: int,
) -> ApkVerdict:
    encoded = encode_apps([app], run.vocab)
    explanation = explain_one(
        run.model,
        encoded.app_tokens(0),
        app_id=app.app_id,
        label=app.label,
        method=method,
        options=options or ExplainOptions(),
        seed=seed,
    )
    verdict = build_verdict(app, explanation, top_k=top_k)
    text = render_verdict_text(verdict, width=width)
    html_path = write_verdict_html(verdict, html) if html is not None else None
    return ApkVerdict(verdict, text, html_path)
