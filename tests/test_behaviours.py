"""Tests of the behaviour table and the behaviour summary of a list of calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from droidlens.errors import DataError
from droidlens.report.behaviours import (
    behaviours_of,
    load_behaviour_table,
    summarize_behaviours,
)

SMS = "Landroid/telephony/SmsManager;->sendTextMessage"
DEVICE_ID = "Landroid/telephony/TelephonyManager;->getDeviceId"
CARRIER = "Landroid/telephony/TelephonyManager;->getNetworkOperatorName"
LOG = "Landroid/util/Log;->i"


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (SMS, "sends SMS"),
        ("Landroid/telephony/gsm/SmsMessage;->createFromPdu", "reads SMS messages"),
        (DEVICE_ID, "reads device identifiers"),
        (CARRIER, "reads phone and carrier state"),
        ("Landroid/location/LocationManager;->requestLocationUpdates", "accesses location"),
        ("Ljava/net/URL;->openConnection", "uses the network"),
        ("Ljava/io/FileOutputStream;->write", "reads and writes files"),
        ("Ljavax/crypto/Cipher;->doFinal", "uses encryption or hashing"),
        ("Ljava/lang/reflect/Method;->invoke", "uses reflection"),
        ("Ljava/lang/Class;->forName", "uses reflection"),
        ("Ldalvik/system/DexClassLoader;-><init>", "loads code at run time"),
        ("Ljava/lang/System;->loadLibrary", "loads native libraries"),
        ("Ljava/lang/Runtime;->exec", "runs shell commands"),
        (
            "Landroid/accessibilityservice/AccessibilityService;->performGlobalAction",
            "uses accessibility services",
        ),
        ("Landroid/app/admin/DevicePolicyManager;->lockNow", "uses device administration"),
        (
            "Landroid/content/pm/PackageManager;->setComponentEnabledSetting",
            "enables or hides app components",
        ),
        (
            "Landroid/content/pm/PackageManager;->getInstalledPackages",
            "lists or inspects installed apps",
        ),
        ("Landroid/content/ContentResolver;->query", "queries or changes content providers"),
        ("Landroid/hardware/Camera;->open", "uses the camera"),
        ("Landroid/media/AudioRecord;->startRecording", "records audio or video"),
        ("Landroid/content/ClipboardManager;->getPrimaryClip", "accesses the clipboard"),
        ("Landroid/app/NotificationManager;->notify", "posts notifications"),
    ],
)
def test_behaviours_of_known_call(call: str, phrase: str) -> None:
    assert [b.phrase for b in behaviours_of([call])] == [phrase]


def test_behaviours_of_unknown_call_is_empty() -> None:
    assert behaviours_of([LOG, "Ljava/lang/String;->equals"]) == []


def test_behaviours_of_call_rule_beats_class_and_prefix() -> None:
    keys = [b.key for b in behaviours_of([DEVICE_ID, CARRIER])]
    assert keys == ["device_identifiers", "telephony_state"]


def test_behaviours_of_orders_by_first_call_and_merges() -> None:
    found = behaviours_of([DEVICE_ID, LOG, SMS, DEVICE_ID, SMS.replace("sendText", "sendData")])
    assert [b.key for b in found] == ["device_identifiers", "sms_send"]
    assert found[1].calls == (SMS, "Landroid/telephony/SmsManager;->sendDataMessage")


def test_summarize_behaviours_joins_phrases() -> None:
    assert summarize_behaviours([SMS, LOG, DEVICE_ID]) == "sends SMS; reads device identifiers"


def test_summarize_behaviours_empty_without_match() -> None:
    assert summarize_behaviours([LOG]) == ""


def test_shipped_table_has_unique_rules() -> None:
    table = load_behaviour_table()
    n_rules = len(table.by_call) + len(table.by_class) + len(table.by_prefix)
    assert len(table.phrases) >= 30
    assert n_rules > len(table.phrases)


def test_load_behaviour_table_custom_file(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    entries = [{"key": "logging", "phrase": "writes logs", "rules": ["Landroid/util/Log;"]}]
    path.write_text(json.dumps({"behaviours": entries}))
    table = load_behaviour_table(path)
    assert summarize_behaviours([SMS, LOG], table=table) == "writes logs"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json", "not a behaviour table"),
        ('{"rules": []}', "not a behaviour table"),
        ('{"behaviours": [{"key": "a", "phrase": "b"}]}', "entry 0 needs"),
        (
            '{"behaviours": [{"key": "a", "phrase": "x", "rules": []},'
            ' {"key": "a", "phrase": "y", "rules": []}]}',
            "key 'a' appears twice",
        ),
        (
            '{"behaviours": [{"key": "a", "phrase": "x", "rules": ["Lx;"]},'
            ' {"key": "b", "phrase": "y", "rules": ["Lx;"]}]}',
            "rule 'Lx;' is given to 'a' and 'b'",
        ),
    ],
)
def test_load_behaviour_table_invalid_raises(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "table.json"
    path.write_text(content)
    with pytest.raises(DataError, match=match):
        load_behaviour_table(path)
