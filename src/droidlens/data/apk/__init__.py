"""Static extraction of framework API-call sequences from APK, dex and JAR files.

androguard is an optional dependency (``pip install 'droidlens[apk]'``); it is imported on
the first extraction, not when this package is imported.
"""

from droidlens.data.apk.batch import ExtractionFailure, ExtractionSummary, extract_many
from droidlens.data.apk.extract import DEFAULT_TIMEOUT, ExtractedApp, extract_calls
from droidlens.data.apk.prefixes import (
    EXCLUDED_CALLEE_PREFIXES,
    FRAMEWORK_PREFIXES,
    OWN_CLASS_EXEMPT_PREFIXES,
    SKIPPED_CALLER_PREFIXES,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "EXCLUDED_CALLEE_PREFIXES",
    "FRAMEWORK_PREFIXES",
    "OWN_CLASS_EXEMPT_PREFIXES",
    "SKIPPED_CALLER_PREFIXES",
    "ExtractedApp",
    "ExtractionFailure",
    "ExtractionSummary",
    "extract_calls",
    "extract_many",
]
