"""Tests of the HTML verdict page: structure, escaping, a golden copy and a screenshot."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from droidlens.explain.result import rank_relevance
from droidlens.report.verdict import Verdict, render_verdict_html, write_verdict_html
from test_verdict_text import DEVICE_ID, SMS, make_verdict

GOLDEN = Path(__file__).parent / "golden" / "verdict_small.html"
CHROMIUM = Path("/usr/bin/chromium")
FIXED_TIME = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)


class _PageParser(HTMLParser):
    """Collects strip cells, attributes that load resources, and the text of tables."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []
        self.resource_urls: list[str] = []
        self.tags: list[str] = []
        self.table_text: list[str] = []
        self._in_strip = False
        self._table_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "div":
            self._in_strip = attributes.get("id") == "strip"
        elif tag == "i" and self._in_strip:
            self.cells.append(attributes)
        elif tag == "table":
            self._table_depth += 1
        for name in ("src", "href", "action", "data"):
            value = attributes.get(name)
            if value and not value.startswith("#"):
                self.resource_urls.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._in_strip = False
        elif tag == "table":
            self._table_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._table_depth:
            self.table_text.append(data)


def _parse(page: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(page)
    parser.close()
    return parser


def test_render_verdict_html_one_cell_per_call() -> None:
    parser = _parse(render_verdict_html(make_verdict(seq_len=300)))
    assert len(parser.cells) == 300


def test_render_verdict_html_top_cells_marked() -> None:
    parser = _parse(render_verdict_html(make_verdict()))
    top_ids = [cell["id"] for cell in parser.cells if "t" in str(cell["class"]).split()]
    assert top_ids == [f"call-{p}" for p in range(8)] + ["call-17", "call-250"]


def test_render_verdict_html_cell_colours_follow_scores() -> None:
    relevance = np.zeros(300)
    relevance[17], relevance[40] = 2.0, -1.0
    verdict = make_verdict(relevance=relevance, ranking=np.argsort(-relevance, kind="stable"))
    cells = _parse(render_verdict_html(verdict)).cells
    assert cells[17]["class"] == "p8 t"
    assert cells[40]["class"] == "n4"
    assert cells[100]["class"] == "z"


def test_render_verdict_html_lists_top_calls_with_context() -> None:
    parser = _parse(render_verdict_html(make_verdict(context=2)))
    text = " ".join(parser.table_text)
    assert SMS in text
    assert DEVICE_ID in text
    # Rank 2 sits at position 250; its neighbours 248-252 are listed with it.
    assert re.search(r"248 .*249 .*250 .*251 .*252", text, flags=re.DOTALL)


def test_render_verdict_html_has_no_external_resources() -> None:
    page = render_verdict_html(make_verdict())
    parser = _parse(page)
    assert parser.resource_urls == []
    assert not {"link", "img", "iframe", "object", "embed"} & set(parser.tags)
    assert "http://" not in page
    assert "https://" not in page


def test_render_verdict_html_escapes_text() -> None:
    calls = ["Lx/<script>alert(1)</script>;->run"] * 20
    verdict = make_verdict(
        seq_len=300, package="<b>evil</b>", calls=calls + make_verdict().calls[20:]
    )
    page = render_verdict_html(verdict)
    assert "<b>evil</b>" not in page
    assert "&lt;b&gt;evil&lt;/b&gt;" in page
    assert "<script>alert" not in page


def test_render_verdict_html_matches_golden() -> None:
    calls = [SMS, DEVICE_ID, "Ljava/lang/Runtime;->exec"] * 4
    relevance = np.array([0.5, -0.25, 0.125, 0.0] * 3)
    verdict = Verdict(
        app_id="0" * 64,
        package="com.example.golden",
        proba=np.array([0.2, 0.8]),
        calls=calls,
        relevance=relevance,
        ranking=rank_relevance(relevance),
        method="occlusion",
        smoother="fusedlasso",
        top_k=3,
        context=1,
    )
    page = render_verdict_html(verdict, generated_at=FIXED_TIME)
    page = re.sub(r"droidlens \S+, generated", "droidlens VERSION, generated", page)
    if os.environ.get("DROIDLENS_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(page, encoding="utf-8")
    assert page == GOLDEN.read_text(encoding="utf-8")


def test_write_verdict_html_creates_file(tmp_path: Path) -> None:
    path = write_verdict_html(make_verdict(), tmp_path / "reports" / "verdict.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_verdict_html_screenshot_in_chromium(tmp_path: Path) -> None:
    page = write_verdict_html(make_verdict(), tmp_path / "verdict.html")
    screenshot = tmp_path / "verdict.png"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={screenshot}",
        "--window-size=1200,900",
        page.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
