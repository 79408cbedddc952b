"""Lazy access to androguard, the optional dependency that parses APK and dex files."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from droidlens.errors import DroidlensError

__all__ = ["load_androguard"]


@functools.cache
def load_androguard() -> SimpleNamespace:
    """Import the parts of androguard the extractor uses and silence its logging.

    androguard logs through loguru at DEBUG level and above to stderr, several lines per
    file; ``loguru.logger.disable("androguard")`` is applied once here. Call
    ``loguru.logger.enable("androguard")`` after the first extraction to see those lines.

    Returns
    -------
    types.SimpleNamespace
        ``APK``, ``DEX``, ``LinearSweepAlgorithm`` and ``InvalidInstruction``.

    Raises
    ------
    DroidlensError
        If androguard is not installed.
    """
    try:
        from androguard.core.apk import APK
        from androguard.core.dex import DEX, InvalidInstruction, LinearSweepAlgorithm
        from loguru import logger
    except ImportError as err:
        raise DroidlensError(
            "extracting calls from APK or dex files requires androguard, which is not "
            f"installed ({err}); install it with: pip install 'droidlens[apk]'"
        ) from err

    logger.disable("androguard")
    return SimpleNamespace(
        APK=APK,
        DEX=DEX,
        LinearSweepAlgorithm=LinearSweepAlgorithm,
        InvalidInstruction=InvalidInstruction,
    )
