"""Read and write apps as JSON Lines, plain or gzip-compressed."""

from __future__ import annotations

import gzip
import io
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from droidlens.data.records import App, label_name, parse_label
from droidlens.errors import DataError

__all__ = ["iter_jsonl", "read_jsonl", "write_jsonl", "app_to_record", "InvalidRecord"]

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"


class InvalidRecord(DataError):
    """One line of a JSON Lines file that is not a valid app; carries where and which app."""

    def __init__(self, message: str, *, where: str, app_id: str | None = None) -> None:
        super().__init__(message)
        self.where = where
        self.app_id = app_id


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _parse_record(line: str, *, where: str, allow_unlabelled: bool) -> App:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidRecord(f"{where}: malformed JSON ({error.msg})", where=where) from None
    if not isinstance(record, dict):
        raise InvalidRecord(
            f"{where}: expected a JSON object, got {type(record).__name__}", where=where
        )

    app_id = record.get("sha256", record.get("id"))
    if not isinstance(app_id, str | int) or isinstance(app_id, bool) or str(app_id) == "":
        raise InvalidRecord(f"{where}: missing app id; give a 'sha256' or 'id' field", where=where)
    app_id = str(app_id)

    try:
        label = parse_label(
            record.get("label"), where=f"{where} (app {app_id})", allow_missing=allow_unlabelled
        )
    except DataError as error:
        raise InvalidRecord(str(error), where=where, app_id=app_id) from None

    calls = record.get("calls")
    if not isinstance(calls, list) or not all(isinstance(call, str) for call in calls):
        raise InvalidRecord(
            f"{where} (app {app_id}): 'calls' must be a list of strings", where=where, app_id=app_id
        )
    if not calls:
        raise InvalidRecord(
            f"{where} (app {app_id}): empty call list; an app needs at least one call",
            where=where,
            app_id=app_id,
        )
    meta = {
        key: value for key, value in record.items() if key not in ("sha256", "id", "label", "calls")
    }
    return App(app_id=app_id, label=label, calls=calls, meta=meta)


def iter_jsonl(
    path: str | Path, *, skip_invalid: bool = False, allow_unlabelled: bool = False
) -> Iterator[App]:
    """Yield the apps of a JSON Lines file, one object per line.

    Each line is ``{"sha256" or "id": ..., "label": "malware"|"benign"|1|0, "calls": [...]}``;
    other fields are kept in :attr:`App.meta`. Blank lines are ignored. The file may be
    gzip-compressed, whatever its name.

    Parameters
    ----------
    path : str or Path
    skip_invalid : bool, default=False
        Log and skip invalid lines instead of raising. The skipped lines are counted and their
        app ids (where readable) logged at the end.
    allow_unlabelled : bool, default=False
        Accept records without a label (label ``-1``), for apps to be classified.

    Raises
    ------
    DataError
        If the file is missing or unreadable, or a line is invalid and ``skip_invalid`` is off.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}; check the path")
    skipped: list[str] = []
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield _parse_record(
                        line, where=f"{path}:{number}", allow_unlabelled=allow_unlabelled
                    )
                except InvalidRecord as error:
                    if not skip_invalid:
                        raise DataError(f"{error}; fix the line or pass --skip-invalid") from None
                    logger.warning("skipped %s", error)
                    skipped.append(error.app_id or f"line {number}")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the file ({error})") from None
    if skipped:
        logger.warning(
            "skipped %d invalid record(s) in %s: %s", len(skipped), path, ", ".join(skipped)
        )


def read_jsonl(
    path: str | Path, *, skip_invalid: bool = False, allow_unlabelled: bool = False
) -> list[App]:
    """Read every app of a JSON Lines file; see :func:`iter_jsonl`."""
    return list(iter_jsonl(path, skip_invalid=skip_invalid, allow_unlabelled=allow_unlabelled))


def app_to_record(app: App) -> dict[str, Any]:
    """Return the JSON Lines record of an app (its meta fields included)."""
    return {
        "sha256": app.app_id,
        "label": label_name(app.label) if app.label >= 0 else None,
        **app.meta,
        "calls": list(app.calls),
    }


def write_jsonl(apps: Iterable[App], path: str | Path) -> int:
    """Write apps as JSON Lines, gzip-compressed when the name ends in ``.gz``.

    Returns
    -------
    int
        Number of apps written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    count = 0
    with opener(path, "wt", encoding="utf-8") as handle:  # type: ignore[operator]
        for app in apps:
            handle.write(json.dumps(app_to_record(app)) + "\n")
            count += 1
    return count
