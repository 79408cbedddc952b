"""The verdict on one app: prediction, explanation and top calls, as plain data and as text."""

from __future__ import annotations

import functools
import math
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import numpy as np

from droidlens import __version__
from droidlens.data.records import MALICIOUS, UNKNOWN_LABEL, App
from droidlens.explain.result import Explanation
from droidlens.report.behaviours import Behaviour, behaviours_of

__all__ = [
    "Verdict",
    "TopCall",
    "build_verdict",
    "describe_verdict",
    "render_verdict_text",
    "render_verdict_html",
    "write_verdict_html",
    "split_call",
    "unseen_note",
]

_COEF_SUFFIX = " coef"
_MIN_WIDTH = 40


@dataclass(frozen=True)
class TopCall:
    """One of the top-ranked calls of a verdict.

    Attributes
    ----------
    rank : int
        1 for the most important call.
    position : int
        Index of the call in the sequence, from 0.
    call : str
        Such as ``"Landroid/telephony/SmsManager;->sendTextMessage"``.
    score : float
        Relevance of the call.
    """

    rank: int
    position: int
    call: str
    score: float

    @property
    def class_name(self) -> str:
        """Class part of :attr:`call`, such as ``"Landroid/telephony/SmsManager;"``."""
        return split_call(self.call)[0]

    @property
    def method_name(self) -> str:
        """Method part of :attr:`call`, such as ``"sendTextMessage"``."""
        return split_call(self.call)[1]


@dataclass
class Verdict:
    """Everything a verdict report shows, independent of its format.

    Attributes
    ----------
    app_id : str
    package : str or None
    proba : ndarray of shape (2,)
        ``[p_benign, p_malicious]``.
    calls : list of str
        The ``seq_len`` calls the model saw.
    relevance : ndarray of shape (seq_len,)
    ranking : ndarray of shape (seq_len,)
        Positions, most important first.
    method : str
        Explanation method, such as ``"occlusion"``.
    smoother : str or None
        Smoother of the occlusion output, when the method used one.
    top_k : int, default=10
        Number of top calls shown; at most ``seq_len`` are shown.
    context : int, default=2
        Calls shown on each side of a top call in the HTML page.
    label : int, default=-1
        True label when known: ``1`` malicious, ``0`` benign, ``-1`` unknown.
    n_calls : int or None, default=None
        Calls of the whole app. It exceeds ``seq_len`` when the app had more calls than the
        model's ``max_calls`` and the model saw only the first ``seq_len``.

    Raises
    ------
    ValueError
        If the arrays disagree in length, ``ranking`` is not a permutation, ``top_k`` or
        ``context`` is out of range, or ``n_calls`` is below ``seq_len``.
    """

    app_id: str
    package: str | None
    proba: np.ndarray
    calls: list[str]
    relevance: np.ndarray
    ranking: np.ndarray
    method: str
    smoother: str | None = None
    top_k: int = 10
    context: int = 2
    label: int = UNKNOWN_LABEL
    n_calls: int | None = None
    _behaviours: list[Behaviour] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.proba = np.asarray(self.proba, dtype=np.float64)
        self.relevance = np.asarray(self.relevance, dtype=np.float64)
        self.ranking = np.asarray(self.ranking, dtype=np.int64)
        seq_len = len(self.calls)
        if self.proba.shape != (2,):
            raise ValueError(f"proba must have shape (2,), got {self.proba.shape}")
        if seq_len == 0:
            raise ValueError(f"app {self.app_id}: a verdict needs at least one call")
        for name in ("relevance", "ranking"):
            shape = getattr(self, name).shape
            if shape != (seq_len,):
                raise ValueError(f"{name} must have shape ({seq_len},) like calls, got {shape}")
        if not np.array_equal(np.sort(self.ranking), np.arange(seq_len)):
            raise ValueError(f"ranking must be a permutation of 0 .. {seq_len - 1}")
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1:
            raise ValueError(f"top_k must be a positive integer, got {self.top_k!r}")
        if isinstance(self.context, bool) or not isinstance(self.context, int) or self.context < 0:
            raise ValueError(f"context must be a non-negative integer, got {self.context!r}")
        if self.n_calls is not None and self.n_calls < seq_len:
            raise ValueError(
                f"n_calls must be at least the {seq_len} calls the model saw, got {self.n_calls}"
            )

    @property
    def seq_len(self) -> int:
        """Number of calls the model saw."""
        return len(self.calls)

    @property
    def n_unseen(self) -> int:
        """Number of calls after the first ``seq_len``, which the model did not see."""
        return 0 if self.n_calls is None else self.n_calls - self.seq_len

    @property
    def predicted(self) -> int:
        """``1`` malicious when ``p_malicious >= 0.5``, else ``0``."""
        return int(self.proba[1] >= 0.5)

    @property
    def verdict_name(self) -> str:
        """``"MALICIOUS"`` or ``"BENIGN"``."""
        return "MALICIOUS" if self.predicted == MALICIOUS else "BENIGN"

    @property
    def p_predicted(self) -> float:
        """Probability of the predicted class."""
        return float(self.proba[self.predicted])

    def top_calls(self) -> list[TopCall]:
        """Return the ``min(top_k, seq_len)`` best-ranked calls, most important first."""
        positions = self.ranking[: min(self.top_k, self.seq_len)]
        return [
            TopCall(rank, int(p), self.calls[p], float(self.relevance[p]))
            for rank, p in enumerate(positions, start=1)
        ]

    def behaviours(self) -> list[Behaviour]:
        """Return the behaviours of the top calls, in rank order of their first call."""
        if self._behaviours is None:
            self._behaviours = behaviours_of(top.call for top in self.top_calls())
        return self._behaviours


def split_call(call: str) -> tuple[str, str]:
    """Split ``"Lpkg/Class;->method"`` into class and method; the method is empty if absent."""
    class_name, _, method = call.partition("->")
    return class_name, method


def build_verdict(
    app: App, explanation: Explanation, *, top_k: int = 10, context: int = 2
) -> Verdict:
    """Combine an app and its explanation into a :class:`Verdict`.

    Parameters
    ----------
    app : App
        The app explained; ``app.meta["package"]`` is shown when present.
    explanation : Explanation
        Its explanation; the first ``explanation.seq_len`` calls of the app are the calls
        the model saw.
    top_k : int, default=10
        Number of top calls to show.
    context : int, default=2
        Calls shown on each side of a top call in the HTML page.

    Returns
    -------
    Verdict

    Raises
    ------
    ValueError
        If the explanation belongs to another app, has more calls than the app, or
        ``top_k`` or ``context`` is out of range.

    Notes
    -----
    The smoother is read from ``explanation.extras["smoother"]`` when that is a string,
    else from an extras column named ``"<smoother> coef"`` (the occlusion output).
    """
    if explanation.app_id != app.app_id:
        raise ValueError(
            f"explanation is for app {explanation.app_id!r} but the app is {app.app_id!r}; "
            "pass the explanation of this app"
        )
    if explanation.seq_len > app.n_calls:
        raise ValueError(
            f"app {app.app_id}: explanation covers {explanation.seq_len} calls but the app "
            f"has only {app.n_calls}"
        )
    return Verdict(
        app_id=app.app_id,
        package=app.meta.get("package"),
        proba=np.asarray(explanation.proba, dtype=np.float64),
        calls=list(app.calls[: explanation.seq_len]),
        relevance=explanation.relevance,
        ranking=explanation.ranking,
        method=explanation.method,
        smoother=_smoother_of(explanation.extras),
        top_k=top_k,
        context=context,
        label=explanation.label,
        n_calls=app.n_calls,
    )


def _smoother_of(extras: dict[str, object]) -> str | None:
    smoother = extras.get("smoother")
    if isinstance(smoother, str):
        return smoother
    for name in extras:
        if name.endswith(_COEF_SUFFIX):
            return name[: -len(_COEF_SUFFIX)]
    return None


def format_score(score: float) -> str:
    """Format a relevance score with four decimals, or in scientific notation when tiny or huge."""
    if score == 0 or 1e-3 <= abs(score) < 1e4:
        return f"{score:.4f}"
    return f"{score:.3e}"


def describe_verdict(verdict: Verdict) -> str:
    """Return the first line of a verdict, such as ``"MALICIOUS (p = 0.973)"``."""
    return f"{verdict.verdict_name} (p = {verdict.p_predicted:.3f})"


def render_verdict_text(verdict: Verdict, *, width: int = 100) -> str:
    """Render a verdict as plain text for a terminal.

    Parameters
    ----------
    verdict : Verdict
    width : int, default=100
        Line length in characters, at least 40; only the app id line can be longer. The
        sequence strip has one cell per call up to this width, and cells cover several
        calls beyond it.

    Returns
    -------
    str
        The verdict and its probability, the behaviours of the top calls, a table of the
        top calls (rank, position, class, method, score) and a strip of the sequence with
        a legend. Positions count from 0.

    Raises
    ------
    ValueError
        If ``width`` is below 40.
    """
    if isinstance(width, bool) or not isinstance(width, int) or width < _MIN_WIDTH:
        raise ValueError(f"width must be an integer of at least {_MIN_WIDTH}, got {width!r}")
    sections = [_text_header(verdict), _text_table(verdict, width), _text_strip(verdict, width)]
    return "\n\n".join(sections) + "\n"


def _text_header(verdict: Verdict) -> str:
    p_benign, p_malicious = verdict.proba
    smoother = f", smoother {verdict.smoother}" if verdict.smoother else ""
    summary = "; ".join(b.phrase for b in verdict.behaviours()) or "none found in the top calls"
    seen = f"{verdict.seq_len} calls"
    if verdict.n_unseen:
        seen = f"first {verdict.seq_len} of {verdict.n_calls} calls"
    lines = [
        describe_verdict(verdict),
        f"Behaviours: {summary}",
        f"App {verdict.app_id}",
        f"Package {verdict.package or 'unknown'}",
        f"p_benign = {p_benign:.3f}, p_malicious = {p_malicious:.3f}; model saw the {seen}",
        f"Explained by {verdict.method}{smoother}",
    ]
    return "\n".join(lines)


def _text_table(verdict: Verdict, width: int) -> str:
    tops = verdict.top_calls()
    scores = [format_score(top.score) for top in tops]
    position_width = max(len("position"), len(str(verdict.seq_len - 1)))
    score_width = max(len("score"), *(len(s) for s in scores))
    natural_class_width = max(len("class"), *(len(top.class_name) for top in tops))
    natural_method_width = max(len("method"), *(len(top.method_name) for top in tops))
    available = width - (4 + position_width + score_width + 4 * 2)
    # Methods are cut only when both columns do not fit, and then keep a third of the room.
    method_room = max(len("method"), available // 3, available - natural_class_width)
    method_width = min(natural_method_width, method_room)
    class_width = max(len("class"), available - method_width)

    def row(rank: str, position: str, class_name: str, method: str, score: str) -> str:
        return (
            f"{rank:>4}  {position:>{position_width}}  "
            f"{_fit(class_name, class_width):<{class_width}}  "
            f"{_fit(method, method_width, keep_end=False):<{method_width}}  {score:>{score_width}}"
        ).rstrip()

    lines = [f"Top {len(tops)} calls", row("rank", "position", "class", "method", "score")]
    for top, score in zip(tops, scores, strict=True):
        lines.append(row(str(top.rank), str(top.position), top.class_name, top.method_name, score))
    return "\n".join(lines)


def _fit(text: str, size: int, *, keep_end: bool = True) -> str:
    """Cut ``text`` to ``size`` characters with a ``~`` where text was removed.

    The end of a class descriptor names the class, so it is kept for classes; method names
    keep their start.
    """
    if len(text) <= size:
        return text
    return "~" + text[len(text) - size + 1 :] if keep_end else text[: size - 1] + "~"


def strip_marks(verdict: Verdict, n_cells: int) -> list[int]:
    """Return, for each of ``n_cells`` equal buckets of positions, the best rank inside.

    Cell ``i`` covers positions ``floor(i * seq_len / n_cells)`` up to, not including,
    ``floor((i + 1) * seq_len / n_cells)``. A cell without a top call gets 0.
    """
    marks = [0] * n_cells
    for top in verdict.top_calls():
        cell = top.position * n_cells // verdict.seq_len
        if marks[cell] == 0 or top.rank < marks[cell]:
            marks[cell] = top.rank
    return marks


def _mark_char(rank: int) -> str:
    if rank == 0:
        return "."
    if rank <= 9:
        return str(rank)
    return "0" if rank == 10 else "#"


def _text_strip(verdict: Verdict, width: int) -> str:
    n_cells = min(width, verdict.seq_len)
    strip = "".join(_mark_char(rank) for rank in strip_marks(verdict, n_cells))
    last = str(verdict.seq_len - 1)
    scale = "0" + last.rjust(n_cells - 1) if n_cells > len(last) else last
    calls_per_cell = verdict.seq_len / n_cells
    cell_text = "1 call" if calls_per_cell == 1 else f"{math.ceil(calls_per_cell)} calls at most"
    legend = (
        f"Each cell is {cell_text}. 1-9 and 0 mark the cell of the call ranked 1-9 and 10 "
        "(the best rank when a cell holds several), # a call ranked below 10, . no top call."
    )
    header = f"Sequence of {verdict.seq_len} calls"
    lines = [header, strip, scale, *textwrap.wrap(legend, width=width)]
    if verdict.n_unseen:
        lines.extend(textwrap.wrap(unseen_note(verdict), width=width))
    return "\n".join(lines)


def unseen_note(verdict: Verdict) -> str:
    """Return the sentence saying which calls the model did not see, or ``""`` if none.

    Examples
    --------
    >>> verdict = Verdict(app_id="a", package=None, proba=[0.4, 0.6], calls=["Lc;->m"] * 3,
    ...                   relevance=[0.0, 1.0, 2.0], ranking=[2, 1, 0], method="occlusion",
    ...                   n_calls=10)
    >>> unseen_note(verdict)
    'Not seen by the model: the 7 calls at positions 3 to 9, after its max_calls limit.'
    """
    if not verdict.n_unseen:
        return ""
    if verdict.n_unseen == 1:
        unseen = f"the call at position {verdict.seq_len}"
    else:
        last = verdict.seq_len + verdict.n_unseen - 1
        unseen = f"the {verdict.n_unseen} calls at positions {verdict.seq_len} to {last}"
    return f"Not seen by the model: {unseen}, after its max_calls limit."


# Colour levels of the heat strip on each side of zero; a cell's level is
# round(score / max |score| * _N_LEVELS).
_N_LEVELS = 8


def render_verdict_html(verdict: Verdict, *, generated_at: datetime | None = None) -> str:
    """Render a verdict as one self-contained HTML page.

    Parameters
    ----------
    verdict : Verdict
    generated_at : datetime or None, default=None
        Time printed in the footer; ``None`` uses the current UTC time.

    Returns
    -------
    str
        A page without external resources: the verdict, the behaviours, a heat strip with
        one cell per call (red supports the explained class, blue opposes it; hovering or
        clicking a cell shows the call and its score) and the top calls with
        ``verdict.context`` neighbouring calls on each side. When the model saw only the
        first calls, the page says which calls were not seen. Text is HTML-escaped by the
        template engine.
    """
    generated_at = generated_at or datetime.now(timezone.utc)
    template = _template_environment().get_template("verdict.html.j2")
    distinct = sorted(set(verdict.calls))
    call_ids = {call: number for number, call in enumerate(distinct)}
    data = {
        "names": distinct,
        "ids": [call_ids[call] for call in verdict.calls],
        "scores": [float(f"{score:.4g}") for score in verdict.relevance],
    }
    return template.render(
        verdict=verdict,
        headline=describe_verdict(verdict),
        behaviours=verdict.behaviours(),
        levels=_heat_levels(verdict.relevance),
        n_levels=_N_LEVELS,
        top_positions={top.position: top.rank for top in verdict.top_calls()},
        top_entries=_top_entries(verdict),
        data=data,
        unseen=unseen_note(verdict),
        version=__version__,
        generated=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_verdict_html(verdict: Verdict, path: str | Path) -> Path:
    """Write :func:`render_verdict_html` to ``path`` (UTF-8), creating folders; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_verdict_html(verdict), encoding="utf-8")
    return path


@functools.cache
def _template_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("droidlens.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _heat_levels(relevance: np.ndarray) -> list[str]:
    """Return one CSS class per call: ``"z"``, ``"p1"`` .. ``"p8"`` or ``"n1"`` .. ``"n8"``."""
    scale = float(np.max(np.abs(relevance))) if relevance.size else 0.0
    if scale == 0 or not np.isfinite(scale):
        return ["z"] * len(relevance)
    levels = np.rint(np.nan_to_num(relevance) / scale * _N_LEVELS).astype(int)
    return ["z" if level == 0 else f"{'p' if level > 0 else 'n'}{abs(level)}" for level in levels]


@dataclass(frozen=True)
class _NeighbourRow:
    position: int
    call: str
    score: str
    rank: int | None


def _top_entries(verdict: Verdict) -> list[tuple[TopCall, list[_NeighbourRow]]]:
    """Pair each top call with the rows of its neighbourhood, the call itself included."""
    ranks = {top.position: top.rank for top in verdict.top_calls()}
    entries = []
    for top in verdict.top_calls():
        start = max(0, top.position - verdict.context)
        stop = min(verdict.seq_len, top.position + verdict.context + 1)
        rows = [
            _NeighbourRow(p, verdict.calls[p], format_score(verdict.relevance[p]), ranks.get(p))
            for p in range(start, stop)
        ]
        entries.append((top, rows))
    return entries
