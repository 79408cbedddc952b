"""Read the original system's files: a pickled list of sequences and a label file.

The pickle is read with an unpickler that only rebuilds built-in containers, scalars and numpy
arrays. Any other type, and any attempt to call a function, is rejected before it runs.
"""

from __future__ import annotations

import io
import logging
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from droidlens.data.records import App, parse_label
from droidlens.errors import DataError

__all__ = ["safe_unpickle", "read_legacy"]

logger = logging.getLogger(__name__)

# (module, name) pairs a pickle of sequences may reference: numpy array reconstruction only.
# Protocol 2 pickles store an array's bytes through _codecs.encode, and protocol 5 pickles
# rebuild contiguous arrays with _frombuffer; both only turn data into bytes or arrays.
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("copyreg", "_reconstructor"),
    ("__builtin__", "object"),
    ("builtins", "object"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, handle: io.BufferedIOBase, *, source: str) -> None:
        super().__init__(handle, encoding="latin1")
        self._source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise DataError(
            f"{self._source}: the pickle references {module}.{name}, which is not allowed; only "
            "lists, tuples, dicts, strings, numbers and numpy arrays are read. Convert the file "
            "to JSON Lines instead."
        )


def safe_unpickle(path: str | Path) -> Any:
    """Unpickle a file, allowing only built-in containers, scalars and numpy arrays.

    Raises
    ------
    DataError
        If the file is missing, corrupt, or references any other type.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"pickle file not found: {path}")
    try:
        with path.open("rb") as handle:
            return _RestrictedUnpickler(handle, source=str(path)).load()  # type: ignore[arg-type]
    except DataError:
        raise
    except Exception as error:  # a corrupt pickle raises many different types
        reason = f"{type(error).__name__}: {error}"
        raise DataError(f"{path}: cannot read the pickle ({reason})") from None


def _as_calls(sequence: Any, *, where: str) -> list[str]:
    if isinstance(sequence, np.ndarray):
        sequence = sequence.tolist()
    if isinstance(sequence, str):
        sequence = sequence.split()
    if not isinstance(sequence, list | tuple):
        raise DataError(f"{where}: expected a list of calls, got {type(sequence).__name__}")
    calls = []
    for call in sequence:
        if isinstance(call, bytes):
            call = call.decode("utf-8", errors="replace")
        if not isinstance(call, str):
            raise DataError(f"{where}: calls must be strings, got {type(call).__name__}")
        calls.append(call)
    return calls


def read_legacy(
    sequence_path: str | Path, label_path: str | Path, *, skip_invalid: bool = False
) -> list[App]:
    """Read apps from the original system's ``*.sequence.pkl`` and ``*.label`` files.

    Parameters
    ----------
    sequence_path : str or Path
        A pickled list with one sequence per app: a list of call strings, or one string of
        calls separated by white space.
    label_path : str or Path
        One label per line (``1``/``0`` or ``malware``/``benign``), in the pickle's order.
    skip_invalid : bool, default=False
        Skip apps with an empty sequence or an invalid label instead of raising. The skipped
        apps are logged, with a count and their ids at the end.

    Returns
    -------
    list of App
        Ids are ``<pickle file stem>:<row>``.
    """
    sequences = safe_unpickle(sequence_path)
    if isinstance(sequences, np.ndarray):
        sequences = list(sequences)
    if not isinstance(sequences, list | tuple):
        raise DataError(
            f"{sequence_path}: expected a pickled list of sequences, got {type(sequences).__name__}"
        )
    label_path = Path(label_path)
    if not label_path.is_file():
        raise DataError(f"label file not found: {label_path}")
    labels = [
        line.strip() for line in label_path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if len(labels) != len(sequences):
        raise DataError(
            f"{label_path} has {len(labels)} labels but {sequence_path} has "
            f"{len(sequences)} sequences; they must pair up line by line"
        )

    stem = Path(sequence_path).name
    apps: list[App] = []
    skipped: list[str] = []
    for row, (sequence, raw_label) in enumerate(zip(sequences, labels, strict=True)):
        where = f"{sequence_path} app {row}"
        try:
            label = parse_label(raw_label, where=f"{label_path}:{row + 1}")
            calls = _as_calls(sequence, where=where)
            if not calls:
                raise DataError(f"{where}: empty call sequence")
        except DataError as error:
            if not skip_invalid:
                raise
            logger.warning("skipped %s", error)
            skipped.append(f"{stem}:{row}")
            continue
        apps.append(App(app_id=f"{stem}:{row}", label=label, calls=calls))
    if skipped:
        logger.warning(
            "skipped %d invalid app(s) in %s: %s", len(skipped), sequence_path, ", ".join(skipped)
        )
    return apps
