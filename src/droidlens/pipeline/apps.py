"""Choose the apps a command works on: the test split of the training data, or another file."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from droidlens.data.encode import EncodedApps, encode_apps
from droidlens.data.load import load_apps
from droidlens.data.records import App
from droidlens.errors import DataError
from droidlens.models.io import Run

__all__ = ["select_apps", "training_data_path"]

logger = logging.getLogger(__name__)


def training_data_path(run: Run) -> Path:
    """Return the data file the run was trained on, as recorded in its configuration."""
    recorded = run.config.get("training", {}).get("data")
    if not recorded:
        raise DataError(f"{run.path} records no training data file; pass --data or --test-data")
    return Path(recorded)


def select_apps(
    run: Run,
    *,
    data: str | Path | None = None,
    test_data: str | Path | None = None,
    max_apps: int | None = None,
    seed: int = 0,
    skip_invalid: bool = False,
    require_labels: bool = True,
) -> tuple[EncodedApps, list[App]]:
    """Return the apps to evaluate, explain or measure, encoded with the run's vocabulary.

    Parameters
    ----------
    run : Run
    data : str or Path, optional
        The training data file; the apps are its test split. Default: the file recorded in
        the run folder.
    test_data : str or Path, optional
        Use every app of this file instead, for example apps from families the model never saw.
    max_apps : int, optional
        Keep this many apps, drawn with ``seed`` in a stratified way, in file order.
    seed : int, default=0
    skip_invalid : bool, default=False
    require_labels : bool, default=True

    Returns
    -------
    encoded : EncodedApps
    apps : list of App
    """
    if test_data is not None:
        apps = load_apps(test_data, skip_invalid=skip_invalid, allow_unlabelled=not require_labels)
        source = f"all apps of {test_data}"
    else:
        path = Path(data) if data is not None else training_data_path(run)
        if run.split is None:
            raise DataError(f"{run.path} has no split.json; pass --test-data to choose apps")
        apps = run.split.select(load_apps(path, skip_invalid=skip_invalid), "test")
        source = f"the test split of {path}"
    if max_apps is not None and max_apps < len(apps):
        apps = _stratified_subset(apps, max_apps, seed)
    if require_labels and any(app.label not in (0, 1) for app in apps):
        raise DataError("some apps have no label; labels are needed here")
    logger.info("using %d apps: %s", len(apps), source)
    return encode_apps(apps, run.vocab), apps


def _stratified_subset(apps: list[App], n_apps: int, seed: int) -> list[App]:
    """Draw exactly ``n_apps`` apps, each label's share rounded by largest remainder."""
    rng = np.random.default_rng(seed)
    labels = np.array([app.label for app in apps])
    classes, counts = np.unique(labels, return_counts=True)
    quotas = n_apps * counts / len(apps)
    shares = np.floor(quotas).astype(np.int64)
    remainders = np.argsort(-(quotas - shares), kind="stable")
    shares[remainders[: n_apps - int(shares.sum())]] += 1
    chosen: list[int] = []
    for label, share in zip(classes, shares, strict=True):
        rows = np.flatnonzero(labels == label)
        chosen.extend(rng.choice(rows, size=int(share), replace=False).tolist())
    return [apps[row] for row in sorted(chosen)]
