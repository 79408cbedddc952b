"""Worker processes that extract one file at a time and are killed when a file runs too long.

``concurrent.futures.ProcessPoolExecutor`` cannot stop a task that is already running, so
this module keeps its own workers: each one reads paths from a pipe and sends back an
:class:`~droidlens.data.apk.extract.ExtractedApp` or an error message. A worker that
exceeds the deadline, or dies, is replaced by a fresh one.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from droidlens.data.apk.extract import ExtractedApp, extract_calls
from droidlens.errors import ExtractionError

__all__ = ["WorkerResult", "run_extractions"]

logger = logging.getLogger(__name__)

# Seconds a worker gets beyond the extraction timeout before it is killed, so that the
# extractor's own deadline check usually fires first with a clean message.
_KILL_GRACE = 2.0
_JOIN_SECONDS = 5.0


@dataclass
class WorkerResult:
    """The outcome for one file: ``app`` on success, else ``error``."""

    path: str
    app: ExtractedApp | None
    error: str | None


@dataclass
class _Worker:
    process: Any
    conn: Connection
    path: str | None = None
    started: float = 0.0


def _serve(conn: Connection, timeout: float | None) -> None:
    """Extract the paths received on ``conn`` until ``None`` arrives."""
    while True:
        path = conn.recv()
        if path is None:
            return
        try:
            conn.send((path, extract_calls(path, timeout=timeout), None))
        except ExtractionError as err:
            conn.send((path, None, str(err)))
        except Exception as err:  # an androguard bug on one file must not stop the batch
            conn.send((path, None, f"{path}: extraction failed ({type(err).__name__}: {err})"))


def run_extractions(
    paths: list[str], *, jobs: int, timeout: float | None
) -> Iterator[WorkerResult]:
    """Extract ``paths`` in ``jobs`` worker processes and yield results as they finish.

    Parameters
    ----------
    paths : list of str
        Files to extract.
    jobs : int
        Number of worker processes.
    timeout : float or None
        Seconds per file; a worker still busy ``timeout + 2`` seconds after it received a
        file is killed and the file is reported as timed out.

    Yields
    ------
    WorkerResult
        One per path, in order of completion.
    """
    context = multiprocessing.get_context("spawn")
    pending = deque(paths)
    workers: list[_Worker] = []
    try:
        while pending or any(worker.path is not None for worker in workers):
            _assign(workers, pending, context, jobs, timeout)
            busy = [worker for worker in workers if worker.path is not None]
            ready = wait([worker.conn for worker in busy], timeout=_wait_seconds(busy, timeout))
            for worker in busy:
                if worker.conn in ready:
                    yield _receive(worker, workers)
                elif timeout is not None and _overdue(worker, timeout):
                    yield _kill_overdue(worker, workers, timeout)
    finally:
        _shut_down(workers)


def _assign(
    workers: list[_Worker], pending: deque[str], context: Any, jobs: int, timeout: float | None
) -> None:
    """Hand pending paths to idle workers, starting workers up to ``jobs``."""
    while pending:
        idle = next((worker for worker in workers if worker.path is None), None)
        if idle is None and len(workers) < jobs:
            parent_conn, child_conn = context.Pipe()
            process = context.Process(target=_serve, args=(child_conn, timeout), daemon=True)
            process.start()
            child_conn.close()
            idle = _Worker(process=process, conn=parent_conn)
            workers.append(idle)
        if idle is None:
            return
        idle.path = pending.popleft()
        idle.started = time.monotonic()
        idle.conn.send(idle.path)


def _wait_seconds(busy: list[_Worker], timeout: float | None) -> float | None:
    if timeout is None:
        return None
    now = time.monotonic()
    remaining = [worker.started + timeout + _KILL_GRACE - now for worker in busy]
    return max(0.0, min(remaining, default=0.0))


def _overdue(worker: _Worker, timeout: float) -> bool:
    return time.monotonic() - worker.started > timeout + _KILL_GRACE


def _receive(worker: _Worker, workers: list[_Worker]) -> WorkerResult:
    path = worker.path
    assert path is not None  # only busy workers are read
    try:
        _, app, error = worker.conn.recv()
    except (EOFError, OSError):
        worker.process.join(_JOIN_SECONDS)
        workers.remove(worker)
        code = worker.process.exitcode
        logger.error("worker for %s exited with code %s", path, code)
        return WorkerResult(path, None, f"{path}: worker process died (exit code {code})")
    worker.path = None
    return WorkerResult(path, app, error)


def _kill_overdue(worker: _Worker, workers: list[_Worker], timeout: float) -> WorkerResult:
    path = worker.path
    assert path is not None  # only busy workers time out
    worker.process.kill()
    worker.process.join(_JOIN_SECONDS)
    worker.conn.close()
    workers.remove(worker)
    logger.error("killed the worker for %s after %g s", path, timeout)
    return WorkerResult(path, None, f"{path}: extraction timed out after {timeout:g} s")


def _shut_down(workers: list[_Worker]) -> None:
    for worker in workers:
        if worker.path is None:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        else:
            worker.process.kill()
    for worker in workers:
        worker.process.join(_JOIN_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(_JOIN_SECONDS)
        worker.conn.close()
