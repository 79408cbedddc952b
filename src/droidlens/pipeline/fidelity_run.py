"""Run the synthetic fidelity test for a saved explanation table, with a random baseline."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from droidlens.errors import DataError
from droidlens.explain.store import explanations_from_frame, read_explanations
from droidlens.fidelity.grids import count_grid, percent_grid
from droidlens.fidelity.synthetic import random_rankings, synthetic_test
from droidlens.models.io import load_run
from droidlens.pipeline.apps import select_apps
from droidlens.progress import progress_bar

logger = logging.getLogger(__name__)

__all__ = ["FidelityResult", "fidelity_run", "FIDELITY_DIR"]

FIDELITY_DIR = "fidelity"
_ORIGINAL_COLUMNS = ["f1", "tpr", "fpr", "accuracy", "precision"]


@dataclass
class FidelityResult:
    """Curves of the synthetic test by count and by percent, and the files written."""

    by_count: pd.DataFrame
    by_percent: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)


def fidelity_run(
    run_dir: str | Path,
    *,
    explanations: str | Path | list[str | Path],
    data: str | Path | None = None,
    test_data: str | Path | None = None,
    seed: int = 0,
    write_json: bool = False,
    skip_invalid: bool = False,
    progress: bool = False,
    out_dir: str | Path | None = None,
) -> FidelityResult:
    """Measure the synthetic test for the rankings in ``explanations`` and for random rankings.

    Parameters
    ----------
    run_dir : str or Path
    explanations : str or Path, or a list of them
        Explanation tables (``.parquet``, or the ``.jsonl`` journal of an unfinished run); each
        gives one curve, measured on the apps of the first table.
    data, test_data : str or Path, optional
        Where the explained apps come from (see :func:`~droidlens.pipeline.select_apps`).
    seed : int, default=0
        Seed of the random baseline ranking.
    write_json : bool, default=False
        Also write the curves as pandas JSON records with the original column names.
    skip_invalid : bool, default=False
        Skip invalid apps (logged with their ids) instead of stopping.
    progress : bool, default=False
        Show a progress bar.
    out_dir : str or Path, optional
        Folder for ``synthetic_count.parquet``, ``synthetic_percent.parquet`` and
        ``synthetic.png``. Default: ``run_dir/fidelity``, whose files a later run replaces.

    Returns
    -------
    FidelityResult
        ``by_count`` and ``by_percent`` have a ``ranking`` column (the method, or ``random``).
    """
    run = load_run(run_dir)
    tables = (
        [Path(explanations)]
        if isinstance(explanations, str | Path)
        else [Path(path) for path in explanations]
    )
    by_table = {}
    for path in tables:
        frame = read_explanations(path)
        if frame.empty:
            raise DataError(f"{path} contains no explanations; run `droidlens explain` first")
        by_table[path.stem] = explanations_from_frame(frame)
    first = next(iter(by_table.values()))
    method = ", ".join(by_table)
    encoded, _ = select_apps(run, data=data, test_data=test_data, skip_invalid=skip_invalid)
    rows = [i for i, app_id in enumerate(encoded.ids) if app_id in first]
    if not rows:
        raise DataError(
            f"none of the apps in {tables[0]} is among the selected apps; pass "
            "the same --data or --test-data as when explaining"
        )
    encoded = encoded.subset(rows)
    logger.info("measuring %d explained apps", len(encoded))
    rankings = {}
    for name, table in by_table.items():
        missing = [app_id for app_id in encoded.ids if app_id not in table]
        if missing:
            raise DataError(
                f"the table {name} has no ranking for app {missing[0]}; explain the "
                "same apps with every method"
            )
        rankings[name] = [table[app_id] for app_id in encoded.ids]
    rankings["random"] = random_rankings(encoded, seed=seed)

    grids = {"count": count_grid(int(encoded.seq_len.max())), "percent": percent_grid()}
    curves: dict[str, list[pd.DataFrame]] = {"count": [], "percent": []}
    total = sum(len(g) for g in grids.values()) * len(rankings)
    with progress_bar(total, "synthetic test", enabled=progress) as advance:
        for name, ranking_list in rankings.items():
            for by, grid in grids.items():
                table = synthetic_test(
                    run.model, encoded, ranking_list, by=by, grid=grid, progress=advance
                )
                table.insert(0, "ranking", name)
                curves[by].append(table)
    result = FidelityResult(
        pd.concat(curves["count"], ignore_index=True),
        pd.concat(curves["percent"], ignore_index=True),
    )
    folder = Path(out_dir) if out_dir is not None else Path(run_dir) / FIDELITY_DIR
    result.files = _write(result, folder, method=method, write_json=write_json)
    return result


def _write(
    result: FidelityResult, folder: Path, *, method: str, write_json: bool
) -> dict[str, Path]:
    from droidlens.report.fidelity_plot import plot_synthetic

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for by, table in (("count", result.by_count), ("percent", result.by_percent)):
        files[f"synthetic by {by}"] = folder / f"synthetic_{by}.parquet"
        table.to_parquet(files[f"synthetic by {by}"], index=False)
        if write_json:
            column = "k" if by == "count" else "percent k"
            for name, part in table.groupby("ranking", sort=False):
                path = folder / f"synthetic_{by}_{name}.json"
                part[[column, *_ORIGINAL_COLUMNS]].to_json(path, orient="records")
                files[f"synthetic by {by} ({name}) json"] = path
    files["plot"] = plot_synthetic(
        result.by_count,
        result.by_percent,
        folder / "synthetic.png",
        title=f"Synthetic test: {method}",
    )
    return files
