"""Extraction of many files in parallel into one JSON Lines file that can be resumed."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from droidlens.data.apk._pool import run_extractions
from droidlens.data.apk.extract import DEFAULT_TIMEOUT
from droidlens.data.records import label_name, parse_label
from droidlens.errors import DataError

__all__ = ["ExtractionFailure", "ExtractionSummary", "extract_many", "INPUT_SUFFIXES"]

logger = logging.getLogger(__name__)

INPUT_SUFFIXES = (".apk", ".dex", ".jar")


@dataclass
class ExtractionFailure:
    """A file that yielded no record, and why.

    Attributes
    ----------
    path : str
        The file as it was given or found in a folder.
    reason : str
        Why it failed, without the path, such as ``"no classes.dex inside; ..."``.
    """

    path: str
    reason: str


@dataclass
class ExtractionSummary:
    """What one :func:`extract_many` run did.

    Attributes
    ----------
    out_path : Path
        The JSON Lines file the records were appended to.
    errors_path : Path
        ``<out_path>.errors.jsonl``, one line per failure of this run; absent when the run
        had no failure.
    n_succeeded : int
        Records written by this run.
    skipped : list of str
        Files not extracted because their sha256 was already in ``out_path`` or earlier in
        the same run.
    failures : list of ExtractionFailure
    seconds : float
        Wall time of the run.
    """

    out_path: Path
    errors_path: Path
    n_succeeded: int = 0
    skipped: list[str] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_skipped(self) -> int:
        """Number of files skipped."""
        return len(self.skipped)

    @property
    def n_failed(self) -> int:
        """Number of files that failed."""
        return len(self.failures)


def extract_many(
    paths: Iterable[str | Path],
    *,
    out_path: str | Path,
    jobs: int = 1,
    timeout: float | None = DEFAULT_TIMEOUT,
    skip_existing: bool = True,
    progress: bool = True,
    label: str | int | None = None,
) -> ExtractionSummary:
    """Extract the calls of many files in worker processes into a JSON Lines file.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, and folders searched recursively for ``.apk``, ``.dex`` and ``.jar`` files.
    out_path : str or Path
        JSON Lines file the records are appended to, one per app as it finishes; gzip
        compressed when the name ends with ``.gz``. Record fields: ``sha256, label,
        package, min_sdk, target_sdk, n_dex, n_methods_undecodable, n_calls, calls,
        source_path``.
    jobs : int, default=1
        Number of worker processes.
    timeout : float or None, default=120
        Seconds per file; a worker that runs over is killed and the file counts as failed.
    skip_existing : bool, default=True
        Skip files whose sha256 already has a record in ``out_path``. With ``False`` every
        file is extracted and appended again.
    progress : bool, default=True
        Show a progress bar on stderr.
    label : str, int or None, default=None
        Label written in every record: ``"malware"``/``1``, ``"benign"``/``0``, or ``None``.

    Returns
    -------
    ExtractionSummary

    Raises
    ------
    TypeError, ValueError
        If ``jobs``, ``timeout`` or ``label`` is invalid.
    DataError
        If ``paths`` name no input file (for example only empty folders), or ``out_path``
        exists but cannot be read as JSON Lines.

    Notes
    -----
    A file that fails (missing, not an APK/dex/JAR, no ``classes.dex``, a damaged dex,
    timed out, a crashed worker) is logged, listed in the summary and in
    ``<out_path>.errors.jsonl`` (rewritten by every run), and the other files carry on.
    Failed files have no record, so the next run tries them again. Each gzip record is its
    own gzip member, so an interrupted run leaves a readable file.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    label_text = None if label is None else label_name(parse_label(label, where="label"))
    out_path = Path(out_path)
    summary = ExtractionSummary(out_path=out_path, errors_path=_errors_path(out_path))
    started = time.monotonic()

    path_list = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    files, missing = _collect_files(path_list)
    if not files and not missing:
        raise DataError(
            f"no APK, dex or JAR file found in {', '.join(map(str, path_list))}; pass app "
            f"files ({', '.join(INPUT_SUFFIXES)}) or folders that contain them"
        )
    summary.failures.extend(missing)
    known = _read_known_sha256(out_path) if skip_existing else set()
    pending = _drop_known(files, known, summary)

    summary.errors_path.unlink(missing_ok=True)
    with _RecordWriter(out_path) as writer, _progress_bar(len(pending), progress) as advance:
        for result in run_extractions(pending, jobs=jobs, timeout=timeout):
            if result.app is not None:
                writer.write(result.app.to_record(label=label_text))
                summary.n_succeeded += 1
            else:
                logger.error("%s", result.error)
                reason = _strip_path(str(result.error), result.path)
                summary.failures.append(ExtractionFailure(result.path, reason))
            advance()

    _write_failures(summary)
    summary.seconds = time.monotonic() - started
    return summary


def _strip_path(message: str, path: str) -> str:
    """Return ``message`` without its leading ``"<path>: "``, which the failure already names."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _errors_path(out_path: Path) -> Path:
    return out_path.with_name(out_path.name + ".errors.jsonl")


def _collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[ExtractionFailure]]:
    """Expand folders into their APK, dex and JAR files; report paths that do not exist."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    missing: list[ExtractionFailure] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file())
            files.extend(sorted(p for p in found if p.suffix.lower() in INPUT_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            missing.append(ExtractionFailure(str(path), "file not found"))
            logger.error("%s: file not found", path)
    return files, missing


def _drop_known(files: list[Path], known: set[str], summary: ExtractionSummary) -> list[str]:
    """Return the files to extract: those whose sha256 is neither known nor seen before."""
    pending = []
    for path in files:
        digest = _sha256_of(path)
        if digest in known:
            summary.skipped.append(str(path))
            logger.info("%s: skipped, sha256 %s already extracted", path, digest[:12])
            continue
        known.add(digest)
        pending.append(str(path))
    return pending


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def _read_known_sha256(out_path: Path) -> set[str]:
    """Return the sha256 of every record already in ``out_path``."""
    if not out_path.exists():
        return set()
    known = set()
    try:
        with _open_text(out_path) as stream:
            for line_number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    known.add(json.loads(line)["sha256"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    logger.warning("%s line %d: no valid record, ignored", out_path, line_number)
    except (OSError, EOFError) as err:
        raise DataError(
            f"{out_path}: cannot read the existing records ({err}); the file may be damaged. "
            "Move it away or choose another out_path"
        ) from err
    return known


class _RecordWriter:
    """Appends one JSON line per record and flushes it, gzip members for ``.gz`` files."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._gzip = path.name.endswith(".gz")
        self._stream: IO[bytes] | None = None

    def __enter__(self) -> _RecordWriter:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = self._path.open("ab")
        if not self._gzip and self._path.stat().st_size > 0 and not _ends_with_newline(self._path):
            # An interrupted earlier run left half a line; end it so new records stay whole.
            self._stream.write(b"\n")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            self._stream.close()

    def write(self, record: dict[str, Any]) -> None:
        if self._stream is None:
            raise RuntimeError("_RecordWriter.write called outside its with block")
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self._stream.write(gzip.compress(line) if self._gzip else line)
        self._stream.flush()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as stream:
        stream.seek(-1, 2)
        return stream.read(1) == b"\n"


def _write_failures(summary: ExtractionSummary) -> None:
    if not summary.failures:
        return
    with summary.errors_path.open("w", encoding="utf-8") as stream:
        for failure in summary.failures:
            record = {"source_path": failure.path, "reason": failure.reason}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Any]:
    """Yield a function that advances a rich progress bar, or does nothing when disabled."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("extracting", total=total)
        yield lambda: bar.advance(task)
