"""Static extraction of the ordered framework API calls of one APK, dex or JAR file."""

from __future__ import annotations

import hashlib
import logging
import re
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from droidlens.data.apk._androguard import load_androguard
from droidlens.data.apk.prefixes import (
    EXCLUDED_CALLEE_PREFIXES,
    FRAMEWORK_PREFIXES,
    OWN_CLASS_EXEMPT_PREFIXES,
    SKIPPED_CALLER_PREFIXES,
)
from droidlens.data.records import UNKNOWN_LABEL, App
from droidlens.errors import ExtractionError

__all__ = ["ExtractedApp", "extract_calls", "DEFAULT_TIMEOUT"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120.0

_DEX_MAGIC = b"dex\n"
_ZIP_MAGIC = b"PK\x03\x04"
_DEX_NAME = re.compile(r"^classes(\d*)\.dex$")

# Opcodes of invoke-virtual/super/direct/static/interface, their /range forms and
# invoke-polymorphic(/range). All of them hold a method index in the field BBBB.
# invoke-custom (0xfc, 0xfd) refers to a call site, not to a method, and is not listed.
_INVOKE_OPCODES = frozenset(
    [0x6E, 0x6F, 0x70, 0x71, 0x72, 0x74, 0x75, 0x76, 0x77, 0x78, 0xFA, 0xFB]
)

# What androguard 4.1.4 raises on bytecode it cannot decode, besides InvalidInstruction.
_DECODE_ERRORS: tuple[type[Exception], ...] = (struct.error, IndexError, KeyError, ValueError)


@dataclass
class ExtractedApp:
    """The framework calls of one file, with the provenance fields of a dataset record.

    Attributes
    ----------
    sha256 : str
        Hex SHA-256 of the whole file.
    package : str or None
        Package name from the manifest; ``None`` for bare dex and JAR files.
    min_sdk, target_sdk : int or None
        SDK levels from the manifest; ``None`` when absent or not a number.
    n_dex : int
        Number of dex files read.
    n_methods_undecodable : int
        Methods whose bytecode could not be decoded to the end; their calls up to the
        undecodable instruction are kept.
    calls : list of str
        Framework calls in code order, such as ``"Landroid/util/Log;->i"``.
    source_path : str
        The path the file was read from.
    file_kind : str
        ``"apk"`` (a zip with a manifest), ``"jar"`` (a zip without one) or ``"dex"``.
    """

    sha256: str
    package: str | None
    min_sdk: int | None
    target_sdk: int | None
    n_dex: int
    n_methods_undecodable: int
    calls: list[str]
    source_path: str
    file_kind: str

    @property
    def n_calls(self) -> int:
        """Number of calls in :attr:`calls`."""
        return len(self.calls)

    def to_record(self, *, label: str | None = None) -> dict[str, Any]:
        """Return the JSON Lines record written by :func:`~droidlens.data.apk.extract_many`.

        Parameters
        ----------
        label : str or None, default=None
            ``"malware"``, ``"benign"`` or ``None`` for an unlabelled app.
        """
        return {
            "sha256": self.sha256,
            "label": label,
            "package": self.package,
            "min_sdk": self.min_sdk,
            "target_sdk": self.target_sdk,
            "n_dex": self.n_dex,
            "n_methods_undecodable": self.n_methods_undecodable,
            "n_calls": self.n_calls,
            "calls": self.calls,
            "source_path": self.source_path,
        }

    def to_app(self, *, label: int = UNKNOWN_LABEL) -> App:
        """Return an :class:`~droidlens.data.records.App` keyed by the file's sha256."""
        meta = self.to_record()
        del meta["calls"], meta["label"], meta["sha256"]
        meta["file_kind"] = self.file_kind
        return App(app_id=self.sha256, label=label, calls=list(self.calls), meta=meta)


@dataclass(frozen=True)
class _Rules:
    framework: tuple[str, ...]
    excluded_callee: tuple[str, ...]
    skipped_caller: tuple[str, ...]


@dataclass
class _Container:
    file_kind: str
    package: str | None
    min_sdk: int | None
    target_sdk: int | None
    dex_blobs: list[tuple[str, bytes]]


def extract_calls(
    path: str | Path,
    *,
    framework_prefixes: Sequence[str] = FRAMEWORK_PREFIXES,
    excluded_callee_prefixes: Sequence[str] = EXCLUDED_CALLEE_PREFIXES,
    skipped_caller_prefixes: Sequence[str] = SKIPPED_CALLER_PREFIXES,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> ExtractedApp:
    """Extract the ordered framework API calls of an APK, a bare dex or a JAR file.

    Parameters
    ----------
    path : str or Path
        An APK, a ``.dex`` file, or a JAR (a zip holding ``classes.dex``).
    framework_prefixes : sequence of str, default=FRAMEWORK_PREFIXES
        A call is kept only when its callee class starts with one of these.
    excluded_callee_prefixes : sequence of str, default=EXCLUDED_CALLEE_PREFIXES
        Callee classes dropped although they look like framework classes.
    skipped_caller_prefixes : sequence of str, default=SKIPPED_CALLER_PREFIXES
        Classes whose methods are not walked.
    timeout : float or None, default=120
        Seconds after which extraction stops with an error; ``None`` for no limit. The
        deadline is checked between methods, so one slow androguard call can overrun
        it; :func:`~droidlens.data.apk.extract_many` kills such a worker instead.

    Returns
    -------
    ExtractedApp

    Raises
    ------
    TypeError, ValueError
        If a prefix list or the timeout is invalid.
    ExtractionError
        If the file is missing, is not an APK, JAR or dex file, holds no
        ``classes.dex``, has a dex file androguard cannot parse, or times out.
    DroidlensError
        If androguard is not installed.

    Notes
    -----
    Dex files are read in numeric order (``classes.dex``, ``classes2.dex``, ...), classes
    in ``class_defs`` order, methods in encoded order (direct, then virtual) and
    instructions in bytecode order. Every ``invoke-*`` instruction that names a method
    (virtual, super, direct, static, interface, their ``/range`` forms and
    ``invoke-polymorphic``) yields ``"Lpkg/Class;->method"`` without the signature. A
    call is kept when its class starts with a framework prefix, does not start with an
    excluded prefix, and is not defined in the file's own dex files (classes under
    :data:`OWN_CLASS_EXEMPT_PREFIXES` excepted).

    Examples
    --------
    >>> app = extract_calls("SampleApplication.apk")  # doctest: +SKIP
    >>> app.calls[:2]  # doctest: +SKIP
    ['Landroid/content/BroadcastReceiver;-><init>', 'Landroid/content/Intent;->getAction']
    """
    rules = _Rules(
        framework=_validate_prefixes(framework_prefixes, "framework_prefixes"),
        excluded_callee=_validate_prefixes(excluded_callee_prefixes, "excluded_callee_prefixes"),
        skipped_caller=_validate_prefixes(skipped_caller_prefixes, "skipped_caller_prefixes"),
    )
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    path = Path(path)
    if not path.is_file():
        raise ExtractionError(f"{path}: file not found")
    deadline = None if timeout is None else time.monotonic() + timeout
    androguard = load_androguard()

    data = path.read_bytes()
    container = _open_container(path, data, androguard)
    dex_files = [_parse_dex(path, name, blob, androguard) for name, blob in container.dex_blobs]
    calls, n_undecodable = _walk_dex_files(dex_files, rules, androguard, path, deadline, timeout)

    if n_undecodable:
        logger.warning("%s: %d methods could not be decoded to the end", path, n_undecodable)
    return ExtractedApp(
        sha256=hashlib.sha256(data).hexdigest(),
        package=container.package,
        min_sdk=container.min_sdk,
        target_sdk=container.target_sdk,
        n_dex=len(dex_files),
        n_methods_undecodable=n_undecodable,
        calls=calls,
        source_path=str(path),
        file_kind=container.file_kind,
    )


def _validate_prefixes(prefixes: Sequence[str], name: str) -> tuple[str, ...]:
    if isinstance(prefixes, str) or not isinstance(prefixes, Sequence):
        raise TypeError(f"{name} must be a sequence of strings, got {type(prefixes).__name__}")
    for prefix in prefixes:
        if not isinstance(prefix, str) or not prefix.startswith("L"):
            raise ValueError(
                f"{name} contains {prefix!r}; each prefix must be a dex type descriptor "
                "prefix such as 'Landroid/'"
            )
    return tuple(prefixes)


def _open_container(path: Path, data: bytes, androguard: Any) -> _Container:
    """Read the dex files and manifest fields of a dex, APK or JAR file held in ``data``."""
    if data.startswith(_DEX_MAGIC):
        return _Container("dex", None, None, None, [(path.name, data)])

    try:
        apk = androguard.APK(data, raw=True)
        names = [name for name in apk.get_files() if _DEX_NAME.match(name)]
    except Exception as err:  # androguard raises many types on files that are not zips
        what = (
            "a damaged or truncated zip archive"
            if data.startswith(_ZIP_MAGIC)
            else "not an APK, JAR or dex file"
        )
        raise ExtractionError(f"{path}: {what} ({type(err).__name__}: {err})") from err
    if not names:
        raise ExtractionError(
            f"{path}: no classes.dex inside; an APK or JAR must contain classes.dex "
            "(a library or resource-only archive has no code to extract)"
        )
    names.sort(key=_dex_number)

    blobs = []
    for name in names:
        try:
            blobs.append((name, apk.get_file(name)))
        except Exception as err:  # a damaged zip entry fails with zlib, zip or struct errors
            raise ExtractionError(
                f"{path}: cannot read {name} from the archive ({type(err).__name__}: {err})"
            ) from err

    has_manifest = "AndroidManifest.xml" in apk.get_files()
    return _Container(
        file_kind="apk" if has_manifest else "jar",
        package=(apk.get_package() or None) if has_manifest else None,
        min_sdk=_parse_sdk(apk.get_min_sdk_version()) if has_manifest else None,
        target_sdk=_parse_sdk(apk.get_target_sdk_version()) if has_manifest else None,
        dex_blobs=blobs,
    )


def _dex_number(name: str) -> int:
    match = _DEX_NAME.match(name)
    digits = match.group(1) if match else ""
    return int(digits) if digits else 1


def _parse_sdk(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _parse_dex(path: Path, name: str, blob: bytes, androguard: Any) -> Any:
    try:
        return androguard.DEX(blob)
    except Exception as err:  # truncated or damaged dex files fail in many ways
        raise ExtractionError(
            f"{path}: {name} is not a valid dex file ({type(err).__name__}: {err})"
        ) from err


def _walk_dex_files(
    dex_files: list[Any],
    rules: _Rules,
    androguard: Any,
    path: Path,
    deadline: float | None,
    timeout: float | None,
) -> tuple[list[str], int]:
    """Return the kept calls of all dex files and the number of undecodable methods."""
    collector = _CallCollector(
        rules=rules,
        own_classes={cls.get_name() for dex in dex_files for cls in dex.get_classes()},
        invalid_instruction=androguard.InvalidInstruction,
        sweep=androguard.LinearSweepAlgorithm.get_instructions,
    )
    n_undecodable = 0
    for dex in dex_files:
        collector.start_dex(dex)
        for cls in dex.get_classes():
            if cls.get_name().startswith(rules.skipped_caller):
                continue
            for method in cls.get_methods():
                if deadline is not None and time.monotonic() > deadline:
                    raise ExtractionError(f"{path}: extraction timed out after {timeout:g} s")
                if not collector.add_method(method):
                    n_undecodable += 1
                    logger.debug("%s: undecodable bytecode in %s", path, method)
    return collector.calls, n_undecodable


@dataclass
class _CallCollector:
    """Accumulates the kept calls of the methods walked, one dex file after another."""

    rules: _Rules
    own_classes: set[str]
    invalid_instruction: type[Exception]
    sweep: Callable[..., Iterator[Any]]
    calls: list[str] = field(default_factory=list)
    _dex: Any = None
    # Method index in the current dex -> kept callee name, or None when dropped.
    _callees: dict[int, str | None] = field(default_factory=dict)

    def start_dex(self, dex: Any) -> None:
        self._dex = dex
        self._callees = {}

    def add_method(self, method: Any) -> bool:
        """Append the kept calls of one method; return False if its bytecode is undecodable."""
        try:
            code = method.get_code()
            if code is None:
                return True
            bytecode = code.get_bc()
            for instruction in self.sweep(self._dex.CM, bytecode.size, bytecode.get_insn(), 0):
                if instruction.get_op_value() not in _INVOKE_OPCODES:
                    continue
                index = instruction.BBBB
                if index not in self._callees:
                    self._callees[index] = self._kept_callee(index)
                callee = self._callees[index]
                if callee is not None:
                    self.calls.append(callee)
        except (self.invalid_instruction, *_DECODE_ERRORS):
            return False
        return True

    def _kept_callee(self, index: int) -> str | None:
        ref = self._dex.CM.get_method_ref(index)
        class_name = ref.get_class_name()
        rules = self.rules
        if not class_name.startswith(rules.framework) or class_name.startswith(
            rules.excluded_callee
        ):
            return None
        if class_name in self.own_classes and not class_name.startswith(OWN_CLASS_EXEMPT_PREFIXES):
            return None
        return f"{class_name}->{ref.get_name()}"
