"""Tests of explain_apk and explain_app, above all on apps longer than the model's max_calls."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from itertools import chain, cycle, islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from apk_fixtures import androwarn_apk  # noqa: F401 (fixture)
from droidlens.data.apk import extract_calls
from droidlens.data.encode import encode_apps
from droidlens.data.records import App
from droidlens.data.synthetic import generate_apps
from droidlens.errors import DataError, ExtractionError, ModelError
from droidlens.models.io import load_run
from droidlens.pipeline.verdict import explain_apk, explain_app
from droidlens.report.verdict import Verdict, render_verdict_text, unseen_note
from verdict_runs import train_small_run

MAX_CALLS = 50
N_LONG_CALLS = 2500


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose model sees only the first MAX_CALLS calls of an app."""
    return train_small_run(tmp_path_factory.mktemp("short-run"), max_calls=MAX_CALLS)


@pytest.fixture(scope="module")
def long_app() -> App:
    """An app of N_LONG_CALLS calls, made by chaining synthetic apps."""
    apps = generate_apps(60, seed=1, max_len=100)
    calls = list(islice(cycle(chain.from_iterable(app.calls for app in apps)), N_LONG_CALLS))
    return App("long-app", -1, calls, {"package": "com.example.long"})


@pytest.fixture(scope="module")
def long_result(short_run: Path, long_app: App, tmp_path_factory: pytest.TempPathFactory):
    page = tmp_path_factory.mktemp("long") / "verdict.html"
    return explain_app(short_run, long_app, html=page)


def test_explain_app_model_sees_first_calls(long_result: Any, long_app: App) -> None:
    verdict = long_result.verdict
    assert verdict.seq_len == MAX_CALLS
    assert verdict.n_calls == N_LONG_CALLS
    assert verdict.n_unseen == N_LONG_CALLS - MAX_CALLS
    assert verdict.calls == long_app.calls[:MAX_CALLS]


def test_explain_app_top_calls_among_seen(long_result: Any) -> None:
    positions = [top.position for top in long_result.verdict.top_calls()]
    assert len(positions) == 10
    assert max(positions) < MAX_CALLS


def test_explain_app_probability_of_first_calls(
    long_result: Any, long_app: App, short_run: Path
) -> None:
    run = load_run(short_run)
    head = App("head", -1, long_app.calls[:MAX_CALLS])
    proba = run.model.predict_proba(encode_apps([head], run.vocab).tokens, batch_size=1)[0]
    # The same forward pass on the same tokens; float32 rounding only.
    assert_allclose(long_result.verdict.proba, proba, rtol=1e-5, atol=1e-6)


def test_explain_app_text_says_calls_unseen(long_result: Any) -> None:
    text = long_result.text
    joined = " ".join(text.split())
    assert f"model saw the first {MAX_CALLS} of {N_LONG_CALLS} calls" in text
    assert (
        f"Not seen by the model: the {N_LONG_CALLS - MAX_CALLS} calls at positions "
        f"{MAX_CALLS} to {N_LONG_CALLS - 1}, after its max_calls limit." in joined
    )


def test_explain_app_text_strip_covers_seen_calls(long_result: Any) -> None:
    lines = long_result.text.splitlines()
    header = lines.index(f"Sequence of {MAX_CALLS} calls")
    assert len(lines[header + 1]) == MAX_CALLS
    assert lines[header + 2].split() == ["0", str(MAX_CALLS - 1)]


class _StripPage(HTMLParser):
    """Collects the strip cells, the embedded data and the text of ``p#unseen``."""

    def __init__(self) -> None:
        super().__init__()
        self.n_cells = 0
        self.unseen = ""
        self.data_text = ""
        self._where: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element_id = dict(attrs).get("id")
        if tag == "div" and element_id == "strip":
            self._where = "strip"
        elif tag == "i" and self._where == "strip":
            self.n_cells += 1
        elif tag == "p" and element_id == "unseen":
            self._where = "unseen"
        elif tag == "script" and element_id == "verdict-data":
            self._where = "data"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "p", "script"):
            self._where = None

    def handle_data(self, data: str) -> None:
        if self._where == "unseen":
            self.unseen += data
        elif self._where == "data":
            self.data_text += data


def _parse_page(path: Path) -> _StripPage:
    parser = _StripPage()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_explain_app_html_says_calls_unseen(long_result: Any) -> None:
    page = _parse_page(long_result.html_path)
    assert page.n_cells == MAX_CALLS
    assert len(json.loads(page.data_text)["ids"]) == MAX_CALLS
    assert page.unseen.startswith(unseen_note(long_result.verdict))


def test_explain_apk_longer_than_max_calls(
    short_run: Path,
    androwarn_apk: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    n_calls = len(extract_calls(androwarn_apk).calls)
    result = explain_apk(short_run, androwarn_apk, html=tmp_path / "page.html")
    assert (result.verdict.seq_len, result.verdict.n_calls) == (MAX_CALLS, n_calls)
    assert "Not seen by the model" in result.text
    assert _parse_page(result.html_path).unseen.startswith(unseen_note(result.verdict))


def test_explain_app_short_app_has_no_note(short_run: Path) -> None:
    app = generate_apps(1, seed=2, min_len=20, max_len=40)[0]
    result = explain_app(short_run, app, top_k=3)
    assert result.verdict.n_unseen == 0
    assert "Not seen" not in result.text
    assert len(result.verdict.top_calls()) == 3


def test_explain_app_text_equals_render(long_result: Any) -> None:
    assert long_result.text == render_verdict_text(long_result.verdict)


@pytest.mark.parametrize(
    ("case", "error", "match"),
    [
        ("empty app", DataError, "app empty has no call"),
        ("missing run", ModelError, "is not a run folder"),
        ("missing file", ExtractionError, r"absent\.apk: file not found"),
        ("narrow text", ValueError, "width must be an integer of at least 40, got 10"),
    ],
)
def test_explain_invalid_input_raises(
    case: str, error: type[Exception], match: str, short_run: Path, long_app: App, tmp_path: Path
) -> None:
    with pytest.raises(error, match=match):
        if case == "empty app":
            explain_app(short_run, App("empty", -1, []))
        elif case == "missing run":
            explain_app(tmp_path / "no-run", long_app)
        elif case == "missing file":
            explain_apk(short_run, tmp_path / "absent.apk")
        else:
            explain_app(short_run, long_app, width=10)


def _verdict(n_calls: int | None) -> Verdict:
    relevance = np.array([0.5, 2.0, 1.0])
    return Verdict(
        app_id="app",
        package=None,
        proba=np.array([0.3, 0.7]),
        calls=["Landroid/util/Log;->i"] * 3,
        relevance=relevance,
        ranking=np.array([1, 2, 0]),
        method="occlusion",
        n_calls=n_calls,
    )


@pytest.mark.parametrize(
    ("n_calls", "note"),
    [
        (None, ""),
        (3, ""),
        (4, "Not seen by the model: the call at position 3, after its max_calls limit."),
        (6, "Not seen by the model: the 3 calls at positions 3 to 5, after its max_calls limit."),
    ],
)
def test_unseen_note_cases(n_calls: int | None, note: str) -> None:
    assert unseen_note(_verdict(n_calls)) == note


def test_verdict_fewer_calls_than_seen_raises() -> None:
    with pytest.raises(ValueError, match=re.escape("n_calls must be at least the 3 calls")):
        _verdict(2)
