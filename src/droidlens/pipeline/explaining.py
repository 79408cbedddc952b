"""Explain the apps of a run folder's model and save the table."""

from __future__ import annotations

from pathlib import Path

from droidlens.explain.options import ExplainOptions
from droidlens.explain.runner import ExplanationTable, explain_apps, table_name
from droidlens.explain.store import write_original_json
from droidlens.models.io import load_run
from droidlens.pipeline.apps import select_apps
from droidlens.progress import progress_bar

__all__ = ["explain_run", "EXPLANATIONS_DIR"]

EXPLANATIONS_DIR = "explanations"


def explain_run(
    run_dir: str | Path,
    *,
    method: str = "occlusion",
    options: ExplainOptions | None = None,
    data: str | Path | None = None,
    test_data: str | Path | None = None,
    max_apps: int | None = None,
    seed: int = 0,
    resume: bool = True,
    write_json: bool = False,
    skip_invalid: bool = False,
    jobs: int = 1,
    progress: bool = False,
) -> ExplanationTable:
    """Explain the test apps (or the apps of ``test_data``) and write the table.

    Rows go to ``run_dir/explanations/<table>.jsonl`` as they finish, and the whole table to
    ``<table>.parquet`` (and ``<table>.json`` in the original system's layout with
    ``write_json``), where ``<table>`` is, for example, ``occlusion-fusedlasso``. An
    interrupted run resumes from the journal. ``jobs`` worker processes explain apps in
    parallel.
    """
    options = options or ExplainOptions()
    run = load_run(run_dir)
    encoded, _ = select_apps(
        run,
        data=data,
        test_data=test_data,
        max_apps=max_apps,
        seed=seed,
        skip_invalid=skip_invalid,
        require_labels=False,
    )
    out_dir = Path(run_dir) / EXPLANATIONS_DIR
    with progress_bar(len(encoded), f"explaining ({method})", enabled=progress) as advance:
        table = explain_apps(
            run.model,
            encoded,
            method=method,
            options=options,
            out_dir=out_dir,
            seed=seed,
            resume=resume,
            jobs=jobs,
            progress=advance,
        )
    if write_json:
        write_original_json(table.frame, out_dir / f"{table_name(method, options)}.json")
    return table
