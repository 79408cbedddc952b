"""Reports on verdicts: the behaviour table and the text and HTML renderings of a verdict."""

from droidlens.report.behaviours import (
    Behaviour,
    BehaviourTable,
    behaviours_of,
    load_behaviour_table,
    summarize_behaviours,
)
from droidlens.report.fidelity_plot import plot_synthetic
from droidlens.report.verdict import (
    TopCall,
    Verdict,
    build_verdict,
    describe_verdict,
    render_verdict_html,
    render_verdict_text,
    unseen_note,
    write_verdict_html,
)

__all__ = [
    "Behaviour",
    "BehaviourTable",
    "TopCall",
    "Verdict",
    "behaviours_of",
    "build_verdict",
    "describe_verdict",
    "load_behaviour_table",
    "plot_synthetic",
    "render_verdict_html",
    "render_verdict_text",
    "summarize_behaviours",
    "unseen_note",
    "write_verdict_html",
]
