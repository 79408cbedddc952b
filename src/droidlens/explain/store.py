"""Explanation tables on disk: a journal written row by row, and the final Parquet file.

While a run works, every finished app is appended to ``<name>.jsonl`` and flushed, so a run
that stops at any point keeps its finished apps; a line cut short by the stop is ignored when
the run resumes. At the end the rows are written to ``<name>.parquet``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from droidlens.errors import DataError
from droidlens.explain.result import Explanation

__all__ = [
    "ExplanationJournal",
    "explanation_to_row",
    "rows_to_frame",
    "read_explanations",
    "explanations_from_frame",
    "write_original_json",
    "ORIGINAL_COLUMNS",
]

logger = logging.getLogger(__name__)

# Column names of the original system's pandas JSON records, keyed by droidlens' names.
ORIGINAL_COLUMNS = {
    "id": "seq",
    "proba": "y",
    "seq_len": "X sequence len",
    "prediction seconds": "prediction time",
    "total seconds": "elapsed time",
}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def explanation_to_row(explanation: Explanation) -> dict[str, Any]:
    """Return one table row (plain Python values) for an explanation."""
    row: dict[str, Any] = {
        "id": explanation.app_id,
        "label": int(explanation.label),
        "proba": _plain(explanation.proba),
        "predicted": explanation.predicted,
        "seq_len": int(explanation.seq_len),
        "method": explanation.method,
        "relevance": _plain(explanation.relevance),
        "ranking": _plain(explanation.ranking),
        "prediction seconds": float(explanation.prediction_seconds),
        "total seconds": float(explanation.total_seconds),
    }
    for key, value in explanation.extras.items():
        row[key] = _plain(value)
    return row


class ExplanationJournal:
    """Append-only journal of finished rows, readable after a crash.

    Parameters
    ----------
    path : Path
        The ``.jsonl`` journal file; created when missing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._handle: IO[str] | None = None

    def read(self) -> list[dict[str, Any]]:
        """Return the complete rows written so far, skipping a cut-off last line."""
        if not self.path.is_file():
            return []
        rows = []
        with self.path.open("r", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    logger.warning(
                        "%s:%d: ignored an incomplete row (the run stopped while "
                        "writing it); it will be recomputed",
                        self.path,
                        number,
                    )
        return rows

    def repair(self, rows: list[dict[str, Any]]) -> None:
        """Rewrite the journal with ``rows`` only, dropping any cut-off line."""
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
        os.replace(tmp, self.path)

    def append(self, row: dict[str, Any]) -> None:
        """Write one row and flush it to disk."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(row) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the journal file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def rows_to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Return the rows as a DataFrame, one app per row."""
    return pd.DataFrame(list(rows))


def read_explanations(path: str | Path) -> pd.DataFrame:
    """Read an explanation table from Parquet (or a journal, for an unfinished run).

    Raises
    ------
    DataError
        If the file is missing or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"explanation file not found: {path}; run `droidlens explain` first")
    try:
        if path.suffix == ".jsonl":
            return rows_to_frame(ExplanationJournal(path).read())
        return pd.read_parquet(path)
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read the explanation table ({error})") from None


def explanations_from_frame(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return each app's ranking, keyed by app id.

    Raises
    ------
    DataError
        If the table has no ``id`` or ``ranking`` column, so it is not an explanation table.
    """
    missing = [column for column in ("id", "ranking") if column not in frame.columns]
    if missing:
        raise DataError(
            f"not an explanation table: the column(s) {', '.join(missing)} are "
            "missing; pass a file from the run folder's explanations/"
        )
    return {
        str(app_id): np.asarray(ranking, dtype=np.int64)
        for app_id, ranking in zip(frame["id"], frame["ranking"], strict=True)
    }


def write_original_json(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write the table as pandas JSON records with the original system's column names."""
    path = Path(path)
    renamed = frame.rename(columns=ORIGINAL_COLUMNS)
    renamed["y"] = [[list(map(float, proba))] for proba in renamed["y"]]
    # pandas keeps 10 digits by default, which can tie coefficients that differ in the 11th.
    path.write_text(renamed.to_json(orient="records", double_precision=15), encoding="utf-8")
    return path
