"""A table of behaviours that framework API calls reveal, such as "sends SMS".

The table ships as ``behaviours.json`` next to this module. Each entry has a ``key``, a
short ``phrase`` and a list of rules; a rule is a whole call (``"Lpkg/Class;->method"``), a
class (``"Lpkg/Class;"``), or any other prefix of a class name (``"Landroid/location/"``).
A call takes the behaviour of its most specific matching rule: the call itself, then its
class, then the longest prefix. Calls that match no rule have no behaviour.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from droidlens.errors import DataError

__all__ = [
    "Behaviour",
    "BehaviourTable",
    "load_behaviour_table",
    "behaviours_of",
    "summarize_behaviours",
]

_CALL_SEPARATOR = "->"


@dataclass(frozen=True)
class Behaviour:
    """One behaviour found in a list of calls.

    Attributes
    ----------
    key : str
        Identifier in the table, such as ``"sms_send"``.
    phrase : str
        Short description, such as ``"sends SMS"``.
    calls : tuple of str
        The distinct calls that revealed it, in order of first appearance.
    """

    key: str
    phrase: str
    calls: tuple[str, ...] = ()


@dataclass
class BehaviourTable:
    """Rules mapping calls to behaviour keys, built by :func:`load_behaviour_table`.

    Attributes
    ----------
    phrases : dict of str to str
        Behaviour key to phrase, in table order.
    by_call, by_class : dict of str to str
        Whole-call and class rules, mapped to a behaviour key.
    by_prefix : list of (str, str)
        Prefix rules and their key, longest prefix first.
    """

    phrases: dict[str, str]
    by_call: dict[str, str]
    by_class: dict[str, str]
    by_prefix: list[tuple[str, str]]
    _cache: dict[str, str | None] = field(default_factory=dict, repr=False)

    def match(self, call: str) -> str | None:
        """Return the behaviour key of one call, or ``None`` when no rule matches."""
        if call not in self._cache:
            self._cache[call] = self._match(call)
        return self._cache[call]

    def _match(self, call: str) -> str | None:
        if call in self.by_call:
            return self.by_call[call]
        class_name = call.split(_CALL_SEPARATOR, 1)[0]
        if class_name in self.by_class:
            return self.by_class[class_name]
        for prefix, key in self.by_prefix:
            if class_name.startswith(prefix):
                return key
        return None


def load_behaviour_table(path: str | Path | None = None) -> BehaviourTable:
    """Read a behaviour table from JSON.

    Parameters
    ----------
    path : str, Path or None, default=None
        A file in the format of the shipped ``behaviours.json``; ``None`` reads that file.

    Returns
    -------
    BehaviourTable

    Raises
    ------
    DataError
        If the file is not valid JSON, an entry lacks ``key``, ``phrase`` or ``rules``, a
        key repeats, or one rule is given to two behaviours.
    """
    if path is None:
        return _shipped_table()
    return _parse_table(Path(path).read_text(encoding="utf-8"), where=str(path))


@functools.cache
def _shipped_table() -> BehaviourTable:
    text = resources.files("droidlens.report").joinpath("behaviours.json").read_text("utf-8")
    return _parse_table(text, where="droidlens/report/behaviours.json")


def _parse_table(text: str, *, where: str) -> BehaviourTable:
    try:
        entries = json.loads(text)["behaviours"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataError(
            f"{where}: not a behaviour table ({err}); expected {{'behaviours': [...]}}"
        ) from err
    table = BehaviourTable(phrases={}, by_call={}, by_class={}, by_prefix=[])
    owners: dict[str, str] = {}
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict) or not {"key", "phrase", "rules"} <= entry.keys():
            raise DataError(f"{where}: entry {number} needs 'key', 'phrase' and 'rules'")
        key = entry["key"]
        if key in table.phrases:
            raise DataError(f"{where}: behaviour key {key!r} appears twice")
        table.phrases[key] = entry["phrase"]
        for rule in entry["rules"]:
            if rule in owners:
                raise DataError(f"{where}: rule {rule!r} is given to {owners[rule]!r} and {key!r}")
            owners[rule] = key
            if _CALL_SEPARATOR in rule:
                table.by_call[rule] = key
            elif rule.endswith(";"):
                table.by_class[rule] = key
            else:
                table.by_prefix.append((rule, key))
    table.by_prefix.sort(key=lambda item: len(item[0]), reverse=True)
    return table


def behaviours_of(calls: Iterable[str], *, table: BehaviourTable | None = None) -> list[Behaviour]:
    """Return the behaviours that a list of calls reveals.

    Parameters
    ----------
    calls : iterable of str
        Calls such as ``"Landroid/telephony/SmsManager;->sendTextMessage"``, for example the
        top-ranked calls of an explanation, most important first.
    table : BehaviourTable or None, default=None
        Rules to apply; ``None`` uses the shipped table.

    Returns
    -------
    list of Behaviour
        One per behaviour found, ordered by the first call that reveals it.

    Examples
    --------
    >>> [b.phrase for b in behaviours_of(["Landroid/telephony/SmsManager;->sendTextMessage",
    ...                                   "Landroid/util/Log;->i",
    ...                                   "Landroid/telephony/TelephonyManager;->getDeviceId"])]
    ['sends SMS', 'reads device identifiers']
    """
    table = _shipped_table() if table is None else table
    found: dict[str, list[str]] = {}
    for call in calls:
        key = table.match(call)
        if key is None:
            continue
        revealing = found.setdefault(key, [])
        if call not in revealing:
            revealing.append(call)
    return [Behaviour(key, table.phrases[key], tuple(found[key])) for key in found]


def summarize_behaviours(
    calls: Iterable[str], *, table: BehaviourTable | None = None, separator: str = "; "
) -> str:
    """Return the phrases of :func:`behaviours_of` joined into one line.

    Parameters
    ----------
    calls : iterable of str
        See :func:`behaviours_of`.
    table : BehaviourTable or None, default=None
        See :func:`behaviours_of`.
    separator : str, default="; "
        Text between two phrases.

    Returns
    -------
    str
        Such as ``"sends SMS; reads device identifiers"``; empty when no call matches.

    Examples
    --------
    >>> summarize_behaviours(
    ...     ["Ljava/lang/Runtime;->exec", "Landroid/location/Location;->getLatitude"]
    ... )
    'runs shell commands; accesses location'
    """
    return separator.join(behaviour.phrase for behaviour in behaviours_of(calls, table=table))
