"""Explain many apps with one method, writing each row as it finishes and resuming on restart."""

from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from droidlens.data.encode import EncodedApps
from droidlens.errors import DataError
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import METHODS, MethodSpec, get_method
from droidlens.explain.result import Explanation, rank_relevance
from droidlens.explain.store import ExplanationJournal, explanation_to_row, rows_to_frame
from droidlens.models.base import Detector
from droidlens.solvers.result import SolverConvergenceWarning

__all__ = [
    "ExplanationTable",
    "explain_apps",
    "explain_one",
    "app_rng",
    "table_name",
    "find_method",
]

logger = logging.getLogger(__name__)

# Modules whose import registers the built-in explanation methods.
_METHOD_MODULES = (
    "droidlens.explain.occlusion",
    "droidlens.explain.baselines",
    "droidlens.explain.lemna",
)


def find_method(name: str) -> MethodSpec:
    """Return the method registered as ``name``, importing the built-in methods first.

    Raises
    ------
    DroidlensError
        If no method has that name.
    """
    if name not in METHODS:
        for module in _METHOD_MODULES:
            importlib.import_module(module)
    return get_method(name)


@dataclass
class ExplanationTable:
    """Explanations of a set of apps, in the row order of the input apps.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per app: ``id``, ``label``, ``proba``, ``predicted``, ``seq_len``, ``method``,
        ``relevance``, ``ranking``, ``prediction seconds``, ``total seconds`` and the method's
        own columns.
    path : Path or None
        The Parquet file, when written.
    n_resumed : int
        Rows read back from an earlier, interrupted run.
    """

    frame: pd.DataFrame
    path: Path | None = None
    n_resumed: int = 0

    def rankings(self) -> list[np.ndarray]:
        """Return each app's ranking, in row order."""
        return [np.asarray(r, dtype=np.int64) for r in self.frame["ranking"]]

    def relevances(self) -> list[np.ndarray]:
        """Return each app's relevance, in row order."""
        return [np.asarray(r, dtype=np.float64) for r in self.frame["relevance"]]


def table_name(method: str, options: ExplainOptions) -> str:
    """Return the file stem for a method's table, such as ``occlusion-fusedlasso``."""
    if method == "occlusion":
        suffix = "-benign" if options.rank_by == "benign" else ""
        return f"occlusion-{options.smoother}{suffix}"
    return method


def app_rng(seed: int, app_id: str) -> np.random.Generator:
    """Return the generator of one app: the same for a seed and app, in any run order."""
    return np.random.default_rng([seed, zlib.crc32(app_id.encode("utf-8"))])


def _report_warnings(caught: list[warnings.WarningMessage], *, app_id: str, method: str) -> None:
    """Log solver warnings with the app they concern; warn again with any other warning.

    A solver warning alone names no app, and in a run over thousands of apps the user
    needs the id to look at the explanation.
    """
    for record in caught:
        if issubclass(record.category, SolverConvergenceWarning):
            logger.warning("app %s, method %s: %s", app_id, method, record.message)
        else:
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)


def explain_one(
    model: Detector,
    tokens: np.ndarray,
    *,
    app_id: str,
    label: int,
    method: str,
    options: ExplainOptions,
    seed: int = 0,
    target: int | None = None,
) -> Explanation:
    """Explain one app (``tokens`` of shape (seq_len, max_words), no padding).

    ``target`` defaults to the predicted class.
    """
    spec = find_method(method)
    start = time.perf_counter()
    proba = model.predict_proba(np.asarray(tokens)[None], batch_size=1)[0]
    explained = int(proba[1] >= 0.5) if target is None else int(target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = spec.explain(
            model, np.asarray(tokens), target=explained, rng=app_rng(seed, app_id), options=options
        )
    _report_warnings(caught, app_id=app_id, method=method)
    relevance = np.asarray(output.relevance, dtype=np.float64)
    ranking = output.ranking if output.ranking is not None else rank_relevance(relevance)
    extras = dict(output.extras)
    extras["target"] = explained
    return Explanation(
        app_id=app_id,
        label=int(label),
        proba=proba,
        seq_len=int(len(tokens)),
        method=method,
        relevance=relevance,
        ranking=np.asarray(ranking, dtype=np.int64),
        prediction_seconds=float(output.prediction_seconds),
        total_seconds=time.perf_counter() - start,
        extras=extras,
    )


def explain_apps(
    model: Detector,
    encoded: EncodedApps,
    *,
    method: str = "occlusion",
    options: ExplainOptions | None = None,
    out_dir: str | Path | None = None,
    seed: int = 0,
    resume: bool = True,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ExplanationTable:
    """Explain every app of ``encoded`` with ``method``.

    Parameters
    ----------
    model : Detector
    encoded : EncodedApps
    method : str, default="occlusion"
        A registered method name (see ``droidlens explain --help``).
    options : ExplainOptions, optional
    out_dir : str or Path, optional
        Folder for ``<table>.jsonl`` (written row by row) and ``<table>.parquet``. Without it
        nothing is written and nothing resumes.
    seed : int, default=0
        Seeds sampling methods; each app draws from :func:`app_rng`.
    resume : bool, default=True
        Reuse rows of an earlier run of the same table in ``out_dir``; no finished app is
        computed again. The method, seed and options of a run are stored next to its journal,
        and a run with other settings does not resume from it.
    jobs : int, default=1
        Worker processes; each explains whole apps with one torch thread. Rows are the same
        as with one process, because each app draws from its own generator.
    progress : callable, optional
        Called with 1 after each app, resumed ones included.

    Returns
    -------
    ExplanationTable

    Raises
    ------
    DataError
        If an app has no calls, or ``resume`` is on and the journal in ``out_dir`` was written
        with another seed or other options.
    """
    options = options or ExplainOptions()
    find_method(method)
    empty = [app_id for app_id, n in zip(encoded.ids, encoded.seq_len, strict=True) if n == 0]
    if empty:
        raise DataError(
            f"app {empty[0]} has no calls and cannot be explained; remove it or "
            "pass --skip-invalid when reading the data"
        )

    journal = None
    done: dict[str, dict] = {}
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        journal = ExplanationJournal(out_dir / f"{table_name(method, options)}.jsonl")
        previous = journal.read() if resume else []
        settings = {"method": method, "seed": seed, **options.as_dict()}
        settings_path = journal.path.with_suffix(".settings.json")
        if previous:
            _check_settings(settings_path, settings)
        journal.repair(previous)
        settings_path.write_text(json.dumps(settings, indent=1), encoding="utf-8")
        selected_ids = set(encoded.ids)
        done = {row["id"]: row for row in previous if row["id"] in selected_ids}
        if done:
            logger.info(
                "resuming: %d of %d apps already explained in %s",
                len(done),
                len(encoded),
                journal.path,
            )

    n_resumed = len(done)
    todo = [index for index, app_id in enumerate(encoded.ids) if app_id not in done]
    if progress is not None and n_resumed:
        progress(n_resumed)
    try:
        for index, row in _explain_rows(
            model, encoded, todo, method=method, options=options, seed=seed, jobs=jobs
        ):
            done[encoded.ids[index]] = row
            if journal is not None:
                journal.append(row)
            if progress is not None:
                progress(1)
    finally:
        if journal is not None:
            journal.close()
    rows = [done[app_id] for app_id in encoded.ids]

    frame = rows_to_frame(rows)
    path = None
    if out_dir is not None:
        path = Path(out_dir) / f"{table_name(method, options)}.parquet"
        frame.to_parquet(path, index=False)
    return ExplanationTable(frame=frame, path=path, n_resumed=n_resumed)


@dataclass(frozen=True)
class _WorkerState:
    """Model, apps and settings of a worker process, set once by _start_worker."""

    model: Detector
    encoded: EncodedApps
    method: str
    options: ExplainOptions
    seed: int


# Inherited through fork, so it is empty outside worker processes.
_WORKER: list[_WorkerState] = []


def _start_worker(
    model: Detector, encoded: EncodedApps, method: str, options: ExplainOptions, seed: int
) -> None:
    import torch

    torch.set_num_threads(1)
    _WORKER[:] = [_WorkerState(model, encoded, method, options, seed)]


def _explain_in_worker(index: int) -> tuple[int, dict]:
    state = _WORKER[0]
    explanation = explain_one(
        state.model,
        state.encoded.app_tokens(index),
        app_id=state.encoded.ids[index],
        label=int(state.encoded.labels[index]),
        method=state.method,
        options=state.options,
        seed=state.seed,
    )
    return index, explanation_to_row(explanation)


def _explain_rows(
    model: Detector,
    encoded: EncodedApps,
    todo: list[int],
    *,
    method: str,
    options: ExplainOptions,
    seed: int,
    jobs: int,
) -> Iterator[tuple[int, dict]]:
    """Yield (row index, table row) for each app in ``todo``, in one or several processes."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if jobs == 1 or len(todo) < 2:
        for index in todo:
            explanation = explain_one(
                model,
                encoded.app_tokens(index),
                app_id=encoded.ids[index],
                label=int(encoded.labels[index]),
                method=method,
                options=options,
                seed=seed,
            )
            yield index, explanation_to_row(explanation)
        return
    # fork shares the model and apps with the workers without pickling them.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(model, encoded, method, options, seed),
    ) as pool:
        futures = [pool.submit(_explain_in_worker, index) for index in todo]
        for future in as_completed(futures):
            yield future.result()


def _check_settings(path: Path, settings: dict[str, object]) -> None:
    """Raise unless the journal's stored settings, if any, equal ``settings``."""
    if not path.is_file():
        return
    stored = json.loads(path.read_text(encoding="utf-8"))
    changed = sorted(
        key for key in settings.keys() | stored.keys() if stored.get(key) != settings.get(key)
    )
    if changed:
        details = ", ".join(
            f"{key} {stored.get(key)!r} -> {settings.get(key)!r}" for key in changed
        )
        raise DataError(
            f"{path.with_suffix('').with_suffix('.jsonl')} was written with other "
            f"settings ({details}); pass --restart (resume=False) to recompute "
            "every app"
        )
