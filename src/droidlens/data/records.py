"""The in-memory record of one app: its id, label and ordered API calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from droidlens.errors import DataError

__all__ = ["App", "BENIGN", "MALICIOUS", "UNKNOWN_LABEL", "parse_label", "label_name"]

BENIGN = 0
MALICIOUS = 1
# Apps to be classified, such as an APK from an analyst, carry no label.
UNKNOWN_LABEL = -1

_LABEL_VALUES: dict[object, int] = {
    "benign": BENIGN,
    "malware": MALICIOUS,
    "malicious": MALICIOUS,
    "0": BENIGN,
    "1": MALICIOUS,
    0: BENIGN,
    1: MALICIOUS,
}


@dataclass
class App:
    """One app as an ordered sequence of API calls.

    Attributes
    ----------
    app_id : str
        Identifier, usually the sha256 of the APK.
    label : int
        ``1`` malicious, ``0`` benign, ``-1`` unknown.
    calls : list of str
        API calls in code order, such as
        ``"Landroid/telephony/SmsManager;->sendTextMessage"``.
    meta : dict
        Every other field of the input record (family, package, SDK levels, ...).
    """

    app_id: str
    label: int
    calls: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_calls(self) -> int:
        """Number of calls in :attr:`calls`."""
        return len(self.calls)


def parse_label(value: object, *, where: str, allow_missing: bool = False) -> int:
    """Convert a label such as ``"malware"``, ``"benign"``, ``1`` or ``0`` to an int.

    Parameters
    ----------
    value : object
        The label as read from a file.
    where : str
        Location used in the error message, such as ``"apps.jsonl line 7"``.
    allow_missing : bool, default=False
        Return ``-1`` for ``None`` instead of raising.

    Raises
    ------
    DataError
        If the label is not one of the accepted values.
    """
    if value is None and allow_missing:
        return UNKNOWN_LABEL
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, bool) or key not in _LABEL_VALUES:
        raise DataError(f"{where}: invalid label {value!r}; expected 'malware', 'benign', 1 or 0")
    return _LABEL_VALUES[key]


def label_name(label: int) -> str:
    """Return ``"malware"``, ``"benign"`` or ``"unknown"`` for an integer label."""
    return {MALICIOUS: "malware", BENIGN: "benign"}.get(label, "unknown")
