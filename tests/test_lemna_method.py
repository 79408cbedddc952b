"""Tests of the LEMNA explanation method on small hand-checkable detectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from droidlens.explain.lemna import LEMNA_SPEC, explain_lemna
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import get_method
from droidlens.explain.result import rank_relevance
from droidlens.models.base import Detector

KEY_WORD = 7
# A fixed penalty keeps these tests independent of the default's scaling rule.
OPTIONS = ExplainOptions(n_samples=200, lam=1.0, em_max_iter=300)


class OneWordDetector(Detector):
    """Malicious logit is +4 when a real call starts with KEY_WORD, else -4."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = torch.nn.Parameter(torch.tensor(4.0))

    def forward_compact(self, calls: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(calls.shape[1])[None, :] < lengths[:, None]
        present = ((calls[:, :, 0] == KEY_WORD) & steps).any(dim=1).float()
        logit = self.offset * (2.0 * present - 1.0)
        return torch.stack([torch.zeros_like(logit), logit], dim=1)


def _app(seq_len=30, key_position=11):
    rng = np.random.default_rng(5)
    tokens = rng.integers(10, 40, size=(seq_len, 3)).astype(np.int32)
    tokens[key_position, 0] = KEY_WORD
    return tokens


@pytest.mark.parametrize(("seq_len", "key_position"), [(12, 4), (30, 11), (60, 59)])
def test_explain_lemna_ranks_key_call_first(seq_len, key_position):
    output = explain_lemna(
        OneWordDetector(),
        _app(seq_len, key_position),
        target=1,
        rng=np.random.default_rng(0),
        options=OPTIONS,
    )

    assert rank_relevance(output.relevance)[0] == key_position


def test_explain_lemna_restarts_rank_key_call():
    options = ExplainOptions(n_samples=200, lam=1.0, n_restarts=3, em_max_iter=300)

    output = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(0), options=options
    )

    assert rank_relevance(output.relevance)[0] == 11


def test_explain_lemna_hard_assignment_runs():
    # Hard EM often splits the copies by how many calls they keep, so its ranking is not
    # checked here; the results page records how often it finds the key call.
    options = ExplainOptions(n_samples=100, lam=1.0, assignment="hard")

    output = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(0), options=options
    )

    assert output.relevance.shape == (30,)
    assert np.isfinite(output.relevance).all()


def test_explain_lemna_same_seed_same_output():
    first = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(3), options=OPTIONS
    )
    second = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(3), options=OPTIONS
    )

    assert_array_equal(first.relevance, second.relevance)
    assert_array_equal(first.extras["lemna loglik"], second.extras["lemna loglik"])


def test_explain_lemna_extras_shapes():
    output = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(0), options=OPTIONS
    )
    extras = output.extras

    assert extras["lemna coefs"].shape == (6, 30)
    assert extras["lemna weights"].shape == (6,)
    assert extras["lemna sigmas"].shape == (6,)
    assert_allclose(extras["lemna weights"].sum(), 1.0, rtol=0, atol=1e-12)
    assert_array_equal(output.relevance, extras["lemna coefs"][extras["lemna component"]])
    assert extras["lemna rmse"] < 0.1
    assert output.prediction_seconds > 0


def test_explain_lemna_default_lambda_recorded():
    options = ExplainOptions(n_samples=100, n_components=2)

    output = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(0), options=options
    )

    # The default is std(outputs) * sqrt(log p), far below LEMNA's sqrt(n log p).
    assert 0 < output.extras["lemna lambda"] < np.sqrt(np.log(30))
    assert rank_relevance(output.relevance)[0] == 11


def test_explain_lemna_window_ranks_outside_last():
    options = ExplainOptions(n_samples=200, lam=1.0, window=4)

    output = explain_lemna(
        OneWordDetector(), _app(), target=1, rng=np.random.default_rng(0), options=options
    )

    assert_array_equal(output.extras["lemna positions"], np.arange(7, 16))
    assert output.ranking[0] == 11
    assert set(output.ranking[9:].tolist()) == set(range(30)) - set(range(7, 16))
    assert_array_equal(output.relevance[:7], np.zeros(7))


def test_explain_lemna_window_given_position():
    options = ExplainOptions(n_samples=100, lam=1.0, window=2)

    output = explain_lemna(
        OneWordDetector(),
        _app(),
        target=1,
        rng=np.random.default_rng(0),
        options=options,
        position=25,
    )

    assert_array_equal(output.extras["lemna positions"], np.arange(23, 28))


def test_lemna_registered():
    assert get_method("lemna") is LEMNA_SPEC
    assert not LEMNA_SPEC.deterministic


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"tokens": np.zeros((0, 3), dtype=np.int32)}, ValueError, "seq_len >= 1"),
        ({"tokens": np.zeros(5, dtype=np.int32)}, ValueError, r"shape \(seq_len, max_words\)"),
        ({"target": 2}, ValueError, "target must be 0"),
        ({"rng": 0}, TypeError, "rng must be a numpy.random.Generator"),
        ({"options": ExplainOptions(n_samples=1)}, ValueError, "n_samples must be at least 2"),
    ],
)
def test_explain_lemna_invalid_input(kwargs, error, message):
    arguments = {
        "tokens": _app(),
        "target": 1,
        "rng": np.random.default_rng(0),
        "options": OPTIONS,
        **kwargs,
    }

    with pytest.raises(error, match=message):
        explain_lemna(OneWordDetector(), arguments.pop("tokens"), **arguments)
