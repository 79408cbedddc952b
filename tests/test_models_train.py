"""Training: seeded reproducibility, best-F1 checkpoint, input checks, call compaction."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from droidlens.data.vocab import NULL_ID, PAD_ID
from droidlens.errors import DataError
from droidlens.models.base import SpatialDropout, compact_calls
from droidlens.models.train import TrainConfig, train_detector
from tiny import tiny_apps, train_tiny


@pytest.fixture(scope="module")
def apps():
    return tiny_apps(60, seed=1, max_len=50)


def test_train_seeded_identical_weights(apps) -> None:
    first = train_tiny(apps, epochs=2, seed=4).model.state_dict()
    second = train_tiny(apps, epochs=2, seed=4).model.state_dict()
    for name, tensor in first.items():
        assert torch.equal(tensor, second[name]), name


def test_train_other_seed_other_weights(apps) -> None:
    first = train_tiny(apps, epochs=1, seed=4).model
    second = train_tiny(apps, epochs=1, seed=5).model
    assert not torch.equal(first.dense.weight, second.dense.weight)


def test_train_leaves_global_rng_alone(apps) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_tiny(apps, epochs=1)
    assert torch.equal(torch.rand(3), expected)


def test_train_keeps_best_validation_f1(apps) -> None:
    training = train_tiny(apps, epochs=4, seed=0)
    result = training.result
    scores = [row["validation_f1"] for row in result.history]
    assert [row["epoch"] for row in result.history] == [1, 2, 3, 4]
    assert result.best_epoch == 1 + int(np.argmax(scores))
    assert result.best_validation_f1 == max(scores)
    # The weights in the model are those of the best epoch: its F1 comes back.
    validation = training.encoded["validation"]
    proba = training.model.predict_proba(validation.tokens)
    predicted = (proba[:, 1] >= 0.5).astype(int)
    tp = int(((predicted == 1) & (validation.labels == 1)).sum())
    wrong = int((predicted != validation.labels).sum())
    f1 = 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0
    assert_allclose(f1, result.best_validation_f1, rtol=0, atol=1e-12)


def test_train_model_in_eval_mode(apps) -> None:
    assert not train_tiny(apps, epochs=1).model.training


def test_train_progress_callback(apps) -> None:
    training = train_tiny(apps, epochs=1)
    calls: list[tuple[int, int, float]] = []
    config = TrainConfig(epochs=2, batch_size=20)
    train_detector(
        training.model,
        training.encoded["train"],
        training.encoded["validation"],
        config=config,
        progress=lambda e, n, loss: calls.append((e, n, loss)),
    )
    n_train = len(training.encoded["train"])
    assert [n for e, n, _ in calls if e == 1][-1] == n_train
    assert {e for e, _, _ in calls} == {1, 2}


def test_train_rejects_unlabelled_and_empty(apps) -> None:
    training = train_tiny(apps, epochs=1)
    train = training.encoded["train"]
    unlabelled = train.subset(range(len(train)))
    unlabelled.labels[0] = -1
    config = TrainConfig(epochs=1)
    with pytest.raises(DataError, match="the training split contains apps without a label"):
        train_detector(training.model, unlabelled, training.encoded["validation"], config=config)
    with pytest.raises(DataError, match="the validation split is empty"):
        train_detector(training.model, train, train.subset([]), config=config)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", 0, "epochs must be at least 1"),
        ("batch_size", 0, "batch_size must be at least"),
        ("learning_rate", 0.0, "learning_rate must be positive"),
    ],
)
def test_train_config_rejects(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**{field: value})


def test_compact_calls_moves_real_calls_first() -> None:
    tokens = torch.tensor(
        [
            [[5, 6], [NULL_ID, NULL_ID], [7, PAD_ID], [PAD_ID, PAD_ID]],
            [[NULL_ID, NULL_ID], [PAD_ID, PAD_ID], [PAD_ID, PAD_ID], [PAD_ID, PAD_ID]],
        ]
    )
    calls, lengths = compact_calls(tokens)
    assert lengths.tolist() == [2, 0]
    assert calls.tolist() == [[[5, 6], [7, 0]], [[0, 0], [0, 0]]]


def test_compact_calls_all_real_unchanged() -> None:
    tokens = torch.tensor([[[5, 6], [7, 0]]])
    calls, lengths = compact_calls(tokens)
    assert calls is tokens
    assert lengths.tolist() == [2]


def test_spatial_dropout_drops_whole_channels() -> None:
    layer = SpatialDropout(0.5).train()
    torch.manual_seed(0)
    out = layer(torch.ones(4, 6, 8))
    # Each (app, channel) is either zero at every step or scaled by 2 at every step.
    assert ((out == 0).all(dim=1) | (out == 2).all(dim=1)).all()
    assert (out == 0).any()
    assert torch.equal(layer.eval()(torch.ones(2, 3, 4)), torch.ones(2, 3, 4))


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_spatial_dropout_rate_rejected(rate: float) -> None:
    with pytest.raises(ValueError, match=r"dropout rate must be in \[0, 1\)"):
        SpatialDropout(rate)


def test_predict_proba_batches_and_order(apps) -> None:
    training = train_tiny(apps, epochs=1)
    tokens = training.encoded["test"].tokens
    whole = training.model.predict_proba(tokens, batch_size=100)
    assert whole.shape == (len(tokens), 2)
    assert_allclose(whole.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    one_by_one = np.concatenate(
        [training.model.predict_proba(tokens[i : i + 1]) for i in range(len(tokens))]
    )
    assert_allclose(
        training.model.predict_proba(tokens, batch_size=3), one_by_one, rtol=0, atol=1e-6
    )
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        training.model.predict_proba(tokens, batch_size=0)


def test_predict_proba_restores_training_mode(apps) -> None:
    model = train_tiny(apps, epochs=1).model.train()
    model.predict_proba(np.full((1, 2, 10), 5, dtype=np.int32))
    assert model.training
