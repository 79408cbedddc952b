"""Splitting API calls into words."""

from __future__ import annotations

import pytest

from droidlens.data.tokenize import TokenizerConfig, call_class, call_method, split_call
from droidlens.errors import DataError

PLAIN = TokenizerConfig()
CAMEL = TokenizerConfig(camel_case=True)


@pytest.mark.parametrize(
    ("call", "config", "expected"),
    [
        (
            "Landroid/telephony/SmsManager;->sendTextMessage",
            PLAIN,
            ["android", "telephony", "smsmanager", "sendtextmessage"],
        ),
        (
            "Landroid/telephony/SmsManager;->sendTextMessage",
            CAMEL,
            ["android", "telephony", "sms", "manager", "send", "text", "message"],
        ),
        (
            "Landroid/telephony/TelephonyManager;->getDeviceID",
            CAMEL,
            ["android", "telephony", "telephony", "manager", "get", "device", "id"],
        ),
        (
            "Landroid/app/Notification$Builder;->build",
            PLAIN,
            ["android", "app", "notification", "builder", "build"],
        ),
        ("Lcom/example/Main$1;->run", PLAIN, ["com", "example", "main", "1", "run"]),
        ("Ljava/lang/Object;-><init>", PLAIN, ["java", "lang", "object", "<init>"]),
        ("Ljava/lang/Object;-><init>", CAMEL, ["java", "lang", "object", "<init>"]),
        ("Ljava/io/File;", PLAIN, ["java", "io", "file"]),
        ("  Landroid/util/Log;->d  ", PLAIN, ["android", "util", "log", "d"]),
        (
            "Lorg/apache/http/HttpEntity2;->get_Content",
            CAMEL,
            ["org", "apache", "http", "http", "entity", "2", "get", "content"],
        ),
    ],
)
def test_split_call_words(call: str, config: TokenizerConfig, expected: list[str]) -> None:
    assert split_call(call, config=config) == expected


def test_split_call_lower_case() -> None:
    words = split_call("LCOM/Example/UPPER;->DoIt", config=PLAIN)
    assert words == ["com", "example", "upper", "doit"]


def test_split_call_max_words_keeps_last() -> None:
    call = "Lcom/a/b/c/d/Klass;->method"
    assert split_call(call, config=TokenizerConfig(max_words=3)) == ["d", "klass", "method"]
    assert split_call(call, config=TokenizerConfig(max_words=1)) == ["method"]


@pytest.mark.parametrize("call", ["", "L;->", "   ", "L;"])
def test_split_call_empty_rejected(call: str) -> None:
    with pytest.raises(DataError, match="invalid call .*: it contains no class or method name"):
        split_call(call, config=PLAIN)


def test_call_class_and_method() -> None:
    call = "Landroid/util/Log;->d"
    assert call_class(call) == "Landroid/util/Log;"
    assert call_method(call) == "d"
    assert call_method("Landroid/util/Log;") == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_words", 0), ("max_calls", -1), ("max_words", 2.5), ("max_calls", True)],
)
def test_tokenizer_config_rejects(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"{field} must be a positive integer"):
        TokenizerConfig(**{field: value})


def test_tokenizer_config_to_dict() -> None:
    assert TokenizerConfig(max_words=4).to_dict() == {
        "max_words": 4,
        "max_calls": 2000,
        "camel_case": False,
    }
