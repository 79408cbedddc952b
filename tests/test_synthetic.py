"""Tests of the framework catalogue, the synthetic app generator and the chain metrics."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from droidlens.data.catalog import MALICIOUS_CHAINS, get_chain, load_catalog
from droidlens.data.records import App
from droidlens.data.synthetic import (
    chain_hit_rate,
    chain_recall,
    generate_apps,
    ground_truth_positions,
)

CALL_FORMAT = re.compile(r"^L[\w/$]+;->(<init>|[\w$]+)$")
REQUIRED_BEHAVIOURS = (
    "ui",
    "lifecycle",
    "network",
    "storage",
    "telephony_ids",
    "sms",
    "location",
    "crypto",
    "reflection",
    "dynamic_loading",
    "process_exec",
    "accessibility",
    "device_admin",
    "package_management",
    "contacts_providers",
    "camera_audio",
    "logging",
    "collections_strings",
    "threads",
    "json_xml",
)
REQUIRED_CHAINS = (
    "sms_fraud",
    "dropper",
    "location_exfiltration",
    "contacts_theft",
    "reflection_hiding",
    "root_exec",
    "accessibility_abuse",
    "device_admin_lock",
    "crypto_ransomware",
)


@pytest.fixture(scope="module")
def apps() -> list[App]:
    return generate_apps(400, seed=7, max_len=300)


def _malicious(apps: list[App]) -> list[App]:
    return [app for app in apps if app.label == 1]


def _benign(apps: list[App]) -> list[App]:
    return [app for app in apps if app.label == 0]


# Catalogue


def test_catalog_size_and_uniqueness() -> None:
    calls = load_catalog().calls
    assert len(set(calls)) == len(calls)
    assert len(calls) >= 300


def test_catalog_call_format() -> None:
    bad = [call for call in load_catalog().calls if not CALL_FORMAT.match(call)]
    assert bad == []


@pytest.mark.parametrize("behaviour", REQUIRED_BEHAVIOURS)
def test_catalog_behaviour_has_methods(behaviour: str) -> None:
    assert len(load_catalog().calls_of(behaviour)) >= 3


def test_catalog_marks_both_kinds() -> None:
    catalog = load_catalog()
    n_sensitive = len(catalog.sensitive_calls())
    assert n_sensitive >= 50
    assert len(catalog.calls) - n_sensitive >= 200


@pytest.mark.parametrize(
    ("call", "sensitive"),
    [
        ("Landroid/telephony/SmsManager;->sendTextMessage", True),
        ("Ldalvik/system/DexClassLoader;-><init>", True),
        ("Ljava/lang/StringBuilder;->append", False),
        ("Landroid/app/Activity;->onCreate", False),
    ],
)
def test_catalog_sensitive_flag(call: str, sensitive: bool) -> None:
    marks = {method.call: method.sensitive for method in load_catalog().methods}
    assert marks[call] is sensitive


@pytest.mark.parametrize("name", REQUIRED_CHAINS)
def test_chain_calls_in_catalog(name: str) -> None:
    chain = get_chain(name)
    assert len(chain.calls) >= 3
    assert set(chain.calls) <= set(load_catalog().calls)
    assert chain.description


def test_chain_names_unique() -> None:
    names = [chain.name for chain in MALICIOUS_CHAINS]
    assert len(set(names)) == len(names)


def test_sms_fraud_chain_order() -> None:
    assert get_chain("sms_fraud").calls == (
        "Landroid/telephony/TelephonyManager;->getDeviceId",
        "Ljava/lang/StringBuilder;->append",
        "Landroid/telephony/SmsManager;->getDefault",
        "Landroid/telephony/SmsManager;->sendTextMessage",
    )


def test_get_chain_unknown() -> None:
    with pytest.raises(ValueError, match="unknown malicious chain 'worm'"):
        get_chain("worm")


def test_calls_of_unknown_behaviour() -> None:
    with pytest.raises(ValueError, match="unknown behaviour 'gps'"):
        load_catalog().calls_of("gps")


# Generator


def test_generate_deterministic_for_seed() -> None:
    first = generate_apps(50, seed=3, max_len=200)
    second = generate_apps(50, seed=3, max_len=200)
    assert [a.calls for a in first] == [a.calls for a in second]
    assert [a.label for a in first] == [a.label for a in second]
    assert [a.meta for a in first] == [a.meta for a in second]


def test_generate_seed_and_generator_agree() -> None:
    from_int = generate_apps(20, seed=5, max_len=200)
    from_generator = generate_apps(20, seed=np.random.default_rng(5), max_len=200)
    assert [a.calls for a in from_int] == [a.calls for a in from_generator]


def test_generate_seeds_differ() -> None:
    first = generate_apps(20, seed=1, max_len=200)
    second = generate_apps(20, seed=2, max_len=200)
    assert [a.calls for a in first] != [a.calls for a in second]


@pytest.mark.parametrize(
    ("n_apps", "fraction", "n_malicious"),
    [(100, 0.5, 50), (101, 0.3, 30), (40, 0.0, 0), (40, 1.0, 40), (7, 0.5, 4)],
)
def test_generate_label_counts(n_apps: int, fraction: float, n_malicious: int) -> None:
    apps = generate_apps(n_apps, seed=0, malicious_fraction=fraction, max_len=100)
    labels = [app.label for app in apps]
    assert sum(labels) == n_malicious
    assert set(labels) <= {0, 1}


def test_generate_labels_shuffled(apps: list[App]) -> None:
    labels = np.array([app.label for app in apps])
    assert 0 < labels[:200].sum() < 200


def test_generate_ids(apps: list[App]) -> None:
    assert apps[0].app_id == "synthetic-000000"
    assert apps[123].app_id == "synthetic-000123"


def test_generate_lengths_within_bounds(apps: list[App]) -> None:
    lengths = np.array([app.n_calls for app in apps])
    assert lengths.min() >= 20
    assert lengths.max() <= 300


def test_generate_lengths_varied(apps: list[App]) -> None:
    lengths = np.array([app.n_calls for app in apps])
    assert len(np.unique(lengths)) >= 100
    assert np.mean(lengths < 60) >= 0.1
    assert np.mean(lengths > 150) >= 0.1


def test_generate_min_len_equals_max_len() -> None:
    apps = generate_apps(30, seed=0, min_len=40, max_len=40)
    assert {app.n_calls for app in apps} == {40}


def test_generate_calls_from_catalog(apps: list[App]) -> None:
    known = set(load_catalog().calls)
    used = {call for app in apps for call in app.calls}
    assert used <= known
    assert all(CALL_FORMAT.match(call) for call in used)


def test_generate_chain_calls_in_order(apps: list[App]) -> None:
    for app in _malicious(apps):
        for chain in app.meta["chains"]:
            positions = chain["positions"]
            assert positions == sorted(set(positions))
            assert positions[0] >= 0
            assert positions[-1] < app.n_calls
            assert [app.calls[i] for i in positions] == list(get_chain(chain["name"]).calls)


def test_generate_malicious_have_chains(apps: list[App]) -> None:
    counts = [len(app.meta["chains"]) for app in _malicious(apps)]
    assert min(counts) >= 1
    assert max(counts) >= 3


def test_generate_chains_do_not_overlap(apps: list[App]) -> None:
    for app in _malicious(apps):
        positions = [p for chain in app.meta["chains"] for p in chain["positions"]]
        assert len(positions) == len(set(positions))


def test_generate_chain_steps_have_gaps(apps: list[App]) -> None:
    gaps = [np.diff(chain["positions"]) for app in _malicious(apps) for chain in app.meta["chains"]]
    assert np.mean(np.concatenate(gaps) > 1) > 0.3


def test_generate_benign_have_no_chains(apps: list[App]) -> None:
    assert all(app.meta["chains"] == [] for app in _benign(apps))


def test_generate_family(apps: list[App]) -> None:
    for app in apps:
        if app.label == 1:
            assert app.meta["family"] == app.meta["chains"][0]["name"]
        else:
            assert app.meta["family"] == f"benign-{app.meta['profile']}"


def test_generate_decoys_are_partial_chains(apps: list[App]) -> None:
    decoys = [(app, d) for app in apps for d in app.meta["decoys"]]
    assert len(decoys) >= 40
    for app, decoy in decoys:
        calls = [app.calls[i] for i in decoy["positions"]]
        chain = list(get_chain(decoy["name"]).calls)
        assert 1 <= len(calls) < len(chain)
        remaining = iter(chain)
        assert all(call in remaining for call in calls)


def test_generate_benign_use_sensitive_calls(apps: list[App]) -> None:
    sensitive = set(load_catalog().sensitive_calls())
    share = np.mean([any(call in sensitive for call in app.calls) for app in _benign(apps)])
    assert share >= 0.3


def test_generate_no_single_call_separates(apps: list[App]) -> None:
    labels = np.array([app.label for app in apps])
    calls = sorted({call for app in apps for call in app.calls})
    present = np.array([[call in set(app.calls) for call in calls] for app in apps])
    accuracy = (present == labels[:, None]).mean(axis=0)
    assert accuracy.max() < 0.8


def test_generate_meta_is_json(apps: list[App]) -> None:
    for app in apps[:20]:
        assert json.loads(json.dumps(app.meta)) == app.meta


def test_generate_label_noise_flips() -> None:
    apps = generate_apps(200, seed=4, max_len=100, label_noise=0.2)
    flipped = [app for app in apps if app.meta["label_flipped"]]
    assert 10 <= len(flipped) <= 70
    for app in flipped:
        assert app.label == int(not app.meta["chains"])


def test_generate_no_label_noise_by_default(apps: list[App]) -> None:
    assert not any(app.meta["label_flipped"] for app in apps)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_apps": 0}, ValueError, "n_apps must be at least 1, got 0"),
        ({"n_apps": 2.5}, TypeError, "n_apps must be an integer"),
        ({"n_apps": True}, TypeError, "n_apps must be an integer"),
        ({"seed": "1"}, TypeError, "seed must be an integer or a numpy.random.Generator"),
        ({"seed": None}, TypeError, "seed must be an integer"),
        ({"malicious_fraction": 1.5}, ValueError, r"malicious_fraction must be in \[0, 1\]"),
        ({"min_len": 10}, ValueError, "min_len must be at least 16"),
        ({"max_len": 19}, ValueError, "max_len must be at least min_len=20, got 19"),
        ({"label_noise": 0.5}, ValueError, r"label_noise must be in \[0, 0.5\)"),
        ({"label_noise": -0.1}, ValueError, "label_noise must be in"),
    ],
)
def test_generate_rejects_invalid(kwargs: dict, error: type, match: str) -> None:
    options: dict = {"n_apps": 5, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        generate_apps(**options)


def _fit_logistic(x: np.ndarray, y: np.ndarray, *, n_steps: int = 300) -> np.ndarray:
    """Fit an L2-penalised logistic regression by gradient descent; returns weights and bias."""
    x = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x.shape[1])
    for _ in range(n_steps):
        p = 1.0 / (1.0 + np.exp(-x @ w))
        w -= x.T @ (p - y) / len(y) + 1e-3 * w
    return w


def test_bag_of_calls_not_separable(apps: list[App]) -> None:
    calls = load_catalog().calls
    column = {call: j for j, call in enumerate(calls)}
    x = np.zeros((len(apps), len(calls)))
    for i, app in enumerate(apps):
        x[i, [column[call] for call in app.calls]] = 1.0
    y = np.array([app.label for app in apps], dtype=np.float64)

    w = _fit_logistic(x[:250], y[:250])
    scores = np.hstack([x[250:], np.ones((len(x) - 250, 1))]) @ w
    accuracy = np.mean((scores > 0) == (y[250:] == 1))
    assert accuracy > 0.6
    assert accuracy < 0.95


# Ground truth and chain metrics


def test_ground_truth_positions_malicious(apps: list[App]) -> None:
    app = next(a for a in apps if len(a.meta["chains"]) >= 2)
    expected = sorted(p for chain in app.meta["chains"] for p in chain["positions"])
    truth = ground_truth_positions(app)
    assert truth.dtype == np.int64
    assert truth.tolist() == expected


def test_ground_truth_positions_benign(apps: list[App]) -> None:
    truth = ground_truth_positions(_benign(apps)[0])
    assert truth.shape == (0,)


def test_ground_truth_positions_without_meta() -> None:
    app = App(app_id="a", label=1, calls=["Ljava/lang/Object;-><init>"])
    assert ground_truth_positions(app).shape == (0,)


@pytest.mark.parametrize(
    ("k", "hit_rate", "recall"),
    [(1, 0.0, 0.0), (2, 0.5, 0.5), (4, 0.5, 1.0), (6, 2 / 6, 1.0), (10, 2 / 6, 1.0)],
)
def test_chain_metrics_known_values(k: int, hit_rate: float, recall: float) -> None:
    ranking = np.array([5, 1, 2, 3, 0, 4])
    chain = np.array([3, 1])
    assert chain_hit_rate(ranking, chain, k) == pytest.approx(hit_rate, rel=0, abs=1e-12)
    assert chain_recall(ranking, chain, k) == pytest.approx(recall, rel=0, abs=1e-12)


def test_chain_metrics_empty_chain() -> None:
    ranking = np.array([2, 0, 1])
    empty = np.array([], dtype=np.int64)
    assert chain_hit_rate(ranking, empty, 2) == 0.0
    assert math.isnan(chain_recall(ranking, empty, 2))


def test_chain_metrics_empty_ranking() -> None:
    empty = np.array([], dtype=np.int64)
    assert chain_hit_rate(empty, np.array([0]), 3) == 0.0
    assert chain_recall(empty, np.array([0]), 3) == 0.0


def test_chain_metrics_on_generated_app(apps: list[App]) -> None:
    app = _malicious(apps)[0]
    truth = ground_truth_positions(app)
    others = np.setdiff1d(np.arange(app.n_calls), truth)
    perfect = np.concatenate([truth, others])
    assert chain_hit_rate(perfect, truth, len(truth)) == 1.0
    assert chain_recall(perfect, truth, len(truth)) == 1.0
    assert chain_recall(perfect[::-1], truth, len(others)) == 0.0


@pytest.mark.parametrize("metric", [chain_hit_rate, chain_recall])
@pytest.mark.parametrize(
    ("ranking", "k", "error", "match"),
    [
        (np.array([0, 1]), 0, ValueError, "k must be at least 1, got 0"),
        (np.array([0, 1]), 1.0, TypeError, "k must be an integer"),
        (np.array([[0, 1]]), 1, ValueError, "ranking must be a 1-D array of integer"),
        (np.array([0.5, 1.0]), 1, ValueError, "ranking must be a 1-D array of integer"),
    ],
)
def test_chain_metrics_reject_invalid(
    metric: Callable[..., float], ranking: np.ndarray, k: object, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        metric(ranking, np.array([0]), k)
