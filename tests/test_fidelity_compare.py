"""Tests of the comparison driver, its files and the ``compare`` command."""

from __future__ import annotations

import matplotlib.image as plt_image
import numpy as np
import pandas as pd
import pytest
import torch
import typer
from typer.testing import CliRunner

from droidlens.cli.compare import compare_command
from droidlens.data import App, TokenizerConfig, Vocabulary, split_call, write_jsonl
from droidlens.errors import DroidlensError
from droidlens.explain.options import ExplainOptions
from droidlens.fidelity._compare_table import markdown_table, summary_table
from droidlens.fidelity.compare import CompareSettings, compare_methods
from droidlens.models.io import save_run
from droidlens.models.registry import build_model
from droidlens.report.plots import plot_test_curves
from fidelity_models import MarkerCountDetector, make_apps

TESTS = ["deduction", "augmentation", "descriptive-accuracy", "sparsity", "stability", "efficiency"]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    encoded, _ = make_apps(n_apps=8, seq_len=10, seed=6)
    out_dir = tmp_path_factory.mktemp("comparison")
    result = compare_methods(
        MarkerCountDetector().eval(),
        encoded,
        methods=["random", "gradient", "kernelshap"],
        tests=TESTS,
        options=ExplainOptions(n_samples=80),
        out_dir=out_dir,
        seed=1,
        progress=False,
        settings=CompareSettings(percent_grid=(0, 10, 50, 100), n_pairs=2),
    )
    return result, out_dir


def test_compare_table_marks_faithful_methods(comparison):
    result, _ = comparison
    table = result.table.set_index("method")
    assert table.loc["gradient", "deduction area"] < table.loc["random", "deduction area"]
    assert "deduction area" in table.loc["gradient", "best"]
    assert "deduction area" in table.loc["kernelshap", "best"]
    assert "deduction area" not in table.loc["random", "best"]
    assert table.loc["gradient", "stability"] == 1.0


def test_compare_curves_long_format(comparison):
    result, _ = comparison
    curves = result.curves
    assert list(curves.columns[:4]) == ["method", "test", "by", "k"]
    assert set(curves["method"]) == {"random", "gradient", "kernelshap"}
    assert set(TESTS) <= set(curves["test"])
    deduction = curves[(curves["test"] == "deduction") & (curves["method"] == "gradient")]
    assert set(deduction["by"]) == {"count", "percent"}
    assert deduction[deduction["by"] == "count"]["positive rate"].iloc[1] == 0.0


def test_compare_writes_files(comparison):
    result, out_dir = comparison
    for name in ("table.parquet", "table.csv", "table.md", "curves.parquet"):
        assert (out_dir / name).is_file()
    for test in TESTS:
        assert (out_dir / "plots" / f"{test}.png").stat().st_size > 1000
    assert pd.read_parquet(out_dir / "table.parquet").shape == result.table.shape
    assert "*" in (out_dir / "table.md").read_text(encoding="utf-8")


def test_compare_runs_per_method(comparison):
    result, _ = comparison
    assert len(result.runs["random"]) == 3
    first, second = result.runs["random"][:2]
    assert not all(
        np.array_equal(a, b) for a, b in zip(first.rankings, second.rankings, strict=True)
    )


def test_compare_deterministic_explained_once(comparison):
    result, out_dir = comparison
    assert len(result.runs["gradient"]) == 1
    written = sorted(path.parent.name for path in out_dir.glob("explanations/*/gradient*.parquet"))
    assert written == ["seed1"]
    assert result.table.set_index("method").loc["gradient", "stability"] == 1.0


@pytest.mark.parametrize(
    ("methods", "tests", "error", "message"),
    [
        ([], ["deduction"], ValueError, "methods is empty"),
        (["random"], ["nonsense"], ValueError, "unknown or missing fidelity tests"),
        (["nonsense"], ["deduction"], DroidlensError, "unknown explanation method"),
    ],
)
def test_compare_rejects_names(tmp_path, methods, tests, error, message):
    encoded, _ = make_apps(n_apps=2, seq_len=4)
    with pytest.raises(error, match=message):
        compare_methods(
            MarkerCountDetector(),
            encoded,
            methods=methods,
            tests=tests,
            out_dir=tmp_path,
            progress=False,
        )


def test_compare_synthetic_test(tmp_path):
    pytest.importorskip("droidlens.fidelity.synthetic", reason="synthetic test not yet present")
    encoded, _ = make_apps(n_apps=6, seq_len=8, seed=2)
    result = compare_methods(
        MarkerCountDetector().eval(),
        encoded,
        methods=["gradient", "random"],
        tests=["synthetic"],
        out_dir=tmp_path,
        progress=False,
        settings=CompareSettings(percent_grid=(0, 50, 100)),
    )
    table = result.table.set_index("method")
    assert table.loc["gradient", "synthetic f1 area"] >= table.loc["random", "synthetic f1 area"]


def test_compare_command_runs(tmp_path):
    config = TokenizerConfig(max_words=3, max_calls=40)
    rng = np.random.default_rng(0)
    names = [f"Lcom/example/C{i};->run{i}" for i in range(6)]
    apps = [
        App(f"app{i}", i % 2, [names[j] for j in rng.integers(6, size=9)], {}) for i in range(6)
    ]
    vocab = Vocabulary.build(
        [split_call(call, config=config) for app in apps for call in app.calls], tokenizer=config
    )
    torch.manual_seed(0)
    model = build_model(
        "bilstm1", vocab_size=len(vocab), max_words=3, embedding_dim=4, hidden_size=4
    )
    save_run(tmp_path / "run", model=model.eval(), vocab=vocab)
    write_jsonl(apps, tmp_path / "apps.jsonl")

    app = typer.Typer()
    app.command("compare")(compare_command)
    app.command("unused")(lambda: None)
    outcome = CliRunner().invoke(
        app,
        [
            "compare",
            "--model",
            str(tmp_path / "run"),
            "--test-data",
            str(tmp_path / "apps.jsonl"),
            "--methods",
            "random,gradient",
            "--tests",
            "deduction,sparsity",
            "--max-apps",
            "4",
            "--out",
            str(tmp_path / "out"),
            "--no-progress",
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert "| gradient |" in outcome.output
    assert (tmp_path / "out" / "plots" / "deduction.png").is_file()


def test_plot_rejects_missing_columns(tmp_path):
    curves = pd.DataFrame({"method": ["a"], "by": ["count"], "k": [0]})
    with pytest.raises(ValueError, match=r"lack the columns \['positive rate'\]"):
        plot_test_curves(curves, value="positive rate", title="x", out_path=tmp_path / "x.png")


def test_plot_one_panel_per_by(tmp_path):
    curves = pd.DataFrame(
        {
            "method": ["a", "a", "b", "b", "a", "a"],
            "by": ["count", "count", "count", "count", "percent", "percent"],
            "k": [0, 1, 0, 1, 0, 50],
            "positive rate": [1.0, 0.0, 1.0, 0.5, 1.0, 0.0],
        }
    )
    path = plot_test_curves(curves, value="positive rate", title="t", out_path=tmp_path / "t.png")
    image = plt_image.imread(path)
    # Two panels of 5 inches at 120 dpi.
    assert image.shape[1] == 1200


def test_markdown_table_na_and_directions():
    table = summary_table(
        {
            "occlusion": {"deduction area": 0.2, "augmentation area": float("nan")},
            "random": {"deduction area": 0.9, "augmentation area": float("nan")},
        },
        {"deduction area": "min", "augmentation area": "max"},
    )
    text = markdown_table(table, {"deduction area": "min", "augmentation area": "max"})
    assert "| occlusion | 0.2* | n/a |" in text
    assert "Higher is better: augmentation area." in text
    assert "Lower is better: deduction area." in text
    assert text.rstrip().endswith("augmentation test.")
