"""Load apps from any supported source by looking at the path."""

from __future__ import annotations

import logging
from pathlib import Path

from droidlens.data.jsonl import read_jsonl
from droidlens.data.legacy import read_legacy
from droidlens.data.records import App
from droidlens.errors import DataError

logger = logging.getLogger(__name__)

__all__ = ["load_apps"]


def load_apps(
    path: str | Path,
    *,
    labels: str | Path | None = None,
    skip_invalid: bool = False,
    allow_unlabelled: bool = False,
) -> list[App]:
    """Load apps from JSON Lines (plain or gzip) or from the original's pickle + label files.

    Parameters
    ----------
    path : str or Path
        A ``.jsonl``/``.jsonl.gz`` file, or a ``.pkl`` file of sequences.
    labels : str or Path, optional
        The label file that goes with a pickle; by default ``X.label`` next to
        ``X.sequence.pkl``.
    skip_invalid : bool, default=False
        Skip invalid apps (logged with their ids) instead of raising.
    allow_unlabelled : bool, default=False
        Accept JSON records without a label.

    Raises
    ------
    DataError
        If the file is missing, has an unknown format, or contains invalid apps.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path}; check the path")
    if path.suffix == ".pkl":
        if labels is None:
            base = path.name.removesuffix(".pkl").removesuffix(".sequence")
            labels = path.with_name(base + ".label")
        return read_legacy(path, labels, skip_invalid=skip_invalid)
    apps = read_jsonl(path, skip_invalid=skip_invalid, allow_unlabelled=allow_unlabelled)
    if not apps:
        raise DataError(f"{path}: no valid app found")
    seen: set[str] = set()
    unique: list[App] = []
    for app in apps:
        if app.app_id not in seen:
            seen.add(app.app_id)
            unique.append(app)
        elif skip_invalid:
            logger.warning("skipped a second app with id %s in %s", app.app_id, path)
        else:
            raise DataError(
                f"{path}: app id {app.app_id} appears more than once; ids must be "
                "unique (remove the copy or pass --skip-invalid to keep the first)"
            )
    apps = unique
    return apps
