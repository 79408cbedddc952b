"""Tests of Verdict, build_verdict and the text rendering of a verdict."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from droidlens.data.records import App
from droidlens.explain.result import Explanation, rank_relevance
from droidlens.report.verdict import Verdict, build_verdict, render_verdict_text

SMS = "Landroid/telephony/SmsManager;->sendTextMessage"
DEVICE_ID = "Landroid/telephony/TelephonyManager;->getDeviceId"
LOG = "Landroid/util/Log;->i"


def make_verdict(seq_len: int = 300, **options: Any) -> Verdict:
    """A malicious verdict whose top two calls are SMS (position 17) and IMEI (250)."""
    calls = [LOG] * seq_len
    calls[17], calls[250] = SMS, DEVICE_ID
    relevance = np.linspace(1.0, 0.0, seq_len)
    relevance[17], relevance[250] = 5.0, 4.0
    settings = {
        "app_id": "ab" * 32,
        "package": "com.example.sms",
        "proba": np.array([0.027, 0.973]),
        "calls": calls,
        "relevance": relevance,
        "ranking": rank_relevance(relevance),
        "method": "occlusion",
        "smoother": "fusedlasso",
    }
    settings.update(options)
    return Verdict(**settings)


def test_render_verdict_text_headline() -> None:
    text = render_verdict_text(make_verdict())
    assert text.splitlines()[0] == "MALICIOUS (p = 0.973)"
    assert text.splitlines()[1] == "Behaviours: sends SMS; reads device identifiers"


def test_render_verdict_text_benign_probability() -> None:
    text = render_verdict_text(make_verdict(proba=np.array([0.88, 0.12])))
    assert text.startswith("BENIGN (p = 0.880)")


def test_render_verdict_text_table_rows() -> None:
    lines = render_verdict_text(make_verdict()).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    rows = [line.split() for line in lines[header + 1 : header + 11]]
    assert lines[header].split() == ["rank", "position", "class", "method", "score"]
    assert rows[0] == ["1", "17", "Landroid/telephony/SmsManager;", "sendTextMessage", "5.0000"]
    assert rows[1] == ["2", "250", "Landroid/telephony/TelephonyManager;", "getDeviceId", "4.0000"]
    assert [row[1] for row in rows[2:]] == [str(p) for p in range(8)]


def test_render_verdict_text_strip_marks_top_cells() -> None:
    lines = render_verdict_text(make_verdict(seq_len=300), width=100).splitlines()
    strip = lines[lines.index("Sequence of 300 calls") + 1]
    assert len(strip) == 100
    # Cells cover 3 calls each: positions 0-7 (ranks 3-10) fill cells 0-2, 17 is in cell 5.
    assert strip[:6] == "369..1"
    assert strip[250 * 100 // 300] == "2"
    assert set(strip[6:83] + strip[84:]) == {"."}


def test_render_verdict_text_short_sequence_one_cell_per_call() -> None:
    verdict = make_verdict(seq_len=260)
    lines = render_verdict_text(verdict, width=300).splitlines()
    strip = lines[lines.index("Sequence of 260 calls") + 1]
    assert len(strip) == 260
    assert strip[17] == "1"
    assert strip[250] == "2"


def test_render_verdict_text_respects_width() -> None:
    text = render_verdict_text(make_verdict(), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_render_verdict_text_rank_above_ten_marked_hash() -> None:
    lines = render_verdict_text(make_verdict(top_k=12), width=100).splitlines()
    strip = lines[lines.index("Sequence of 300 calls") + 1]
    assert strip[3] == "#"


def test_render_verdict_text_invalid_width_raises() -> None:
    with pytest.raises(ValueError, match="width must be an integer of at least 40, got 10"):
        render_verdict_text(make_verdict(), width=10)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"proba": np.array([0.5, 0.3, 0.2])}, r"proba must have shape \(2,\)"),
        ({"relevance": np.zeros(5)}, r"relevance must have shape \(300,\)"),
        ({"ranking": np.zeros(300, dtype=int)}, "ranking must be a permutation"),
        ({"top_k": 0}, "top_k must be a positive integer"),
        ({"context": -1}, "context must be a non-negative integer"),
    ],
)
def test_verdict_invalid_raises(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_verdict(**options)


def _explanation(app_id: str, seq_len: int) -> Explanation:
    relevance = np.arange(seq_len, dtype=np.float64)
    return Explanation(
        app_id=app_id,
        label=1,
        proba=np.array([0.1, 0.9]),
        seq_len=seq_len,
        method="occlusion",
        relevance=relevance,
        ranking=rank_relevance(relevance),
        prediction_seconds=0.1,
        total_seconds=0.2,
        extras={"synthetic y": relevance, "trend1 coef": relevance},
    )


def test_build_verdict_from_app_and_explanation() -> None:
    app = App("app1", 1, [LOG] * 20 + [SMS] * 5, {"package": "com.example"})
    verdict = build_verdict(app, _explanation("app1", 20), top_k=3, context=1)
    assert (verdict.seq_len, verdict.n_calls, verdict.smoother) == (20, 25, "trend1")
    assert [top.position for top in verdict.top_calls()] == [19, 18, 17]
    assert "model saw the first 20 of 25 calls" in render_verdict_text(verdict)


@pytest.mark.parametrize(
    ("app_id", "seq_len", "match"),
    [("other", 5, "explanation is for app 'other'"), ("app1", 30, "covers 30 calls")],
)
def test_build_verdict_mismatch_raises(app_id: str, seq_len: int, match: str) -> None:
    app = App("app1", 1, [LOG] * 25)
    with pytest.raises(ValueError, match=match):
        build_verdict(app, _explanation(app_id, seq_len))
