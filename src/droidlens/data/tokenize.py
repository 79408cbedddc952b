"""Split an API call such as ``Landroid/telephony/SmsManager;->sendTextMessage`` into words."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from droidlens.errors import DataError

__all__ = ["TokenizerConfig", "split_call", "call_class", "call_method"]

# Boundaries inside an identifier: "SmsManager" -> "Sms", "Manager"; "getDeviceID" -> "get",
# "Device", "ID"; digits form their own word.
_CAMEL_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^A-Za-z\d]+")


@dataclass(frozen=True)
class TokenizerConfig:
    """How calls become words; saved with every model so that inputs are encoded alike.

    Attributes
    ----------
    max_words : int
        Words kept per call. Longer calls keep their last ``max_words`` words, because the
        class and method names at the end say more than the leading package parts.
    max_calls : int
        Calls kept per app: the first ``max_calls``.
    camel_case : bool
        Also split class and method names at camel-case boundaries.
    """

    max_words: int = 10
    max_calls: int = 2000
    camel_case: bool = False

    def __post_init__(self) -> None:
        for name in ("max_words", "max_calls"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def to_dict(self) -> dict[str, object]:
        """Return the settings as a JSON-ready dict."""
        return asdict(self)


def _split_identifier(name: str, *, camel_case: bool) -> list[str]:
    parts = [part for part in name.split("$") if part]
    if not camel_case:
        return [part.lower() for part in parts]
    words: list[str] = []
    for part in parts:
        words.extend(word.lower() for word in _CAMEL_WORD.findall(part) if word.strip("_"))
    return words


def call_class(call: str) -> str:
    """Return the class part of a call, ``"Landroid/telephony/SmsManager;"``."""
    return call.split("->", 1)[0]


def call_method(call: str) -> str:
    """Return the method part of a call, ``"sendTextMessage"``."""
    return call.split("->", 1)[1] if "->" in call else ""


def split_call(call: str, *, config: TokenizerConfig) -> list[str]:
    """Split one call into lower-case words: package parts, class name, method name.

    Parameters
    ----------
    call : str
        A call in smali notation, ``Lpkg/Class;->method``. A call without ``->`` is read as
        a class name alone.
    config : TokenizerConfig
        Word limit and camel-case splitting.

    Returns
    -------
    list of str
        At most ``config.max_words`` words, never empty.

    Raises
    ------
    DataError
        If the call is empty or has no letters or digits.

    Examples
    --------
    >>> split_call("Landroid/telephony/SmsManager;->sendTextMessage", config=TokenizerConfig())
    ['android', 'telephony', 'smsmanager', 'sendtextmessage']
    >>> split_call("Landroid/telephony/SmsManager;->sendTextMessage",
    ...            config=TokenizerConfig(camel_case=True))
    ['android', 'telephony', 'sms', 'manager', 'send', 'text', 'message']
    """
    class_part, _, method = call.strip().partition("->")
    class_part = class_part.strip()
    if class_part.startswith("L"):
        class_part = class_part[1:]
    class_part = class_part.rstrip(";")
    segments = [segment for segment in class_part.split("/") if segment]

    words: list[str] = [segment.lower() for segment in segments[:-1]]
    if segments:
        words.extend(_split_identifier(segments[-1], camel_case=config.camel_case))
    if method:
        if config.camel_case and not method.startswith("<"):
            words.extend(_split_identifier(method, camel_case=True))
        else:
            words.append(method.lower())
    if not words:
        raise DataError(f"invalid call {call!r}: it contains no class or method name")
    return words[-config.max_words :]
