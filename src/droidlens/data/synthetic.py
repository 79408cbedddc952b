"""Synthetic benign and malicious apps with known malicious call positions.

A fresh machine has no real data, so droidlens can generate apps from the framework method
catalogue. Benign apps are runs of behaviour-shaped blocks of calls, Java basics in between,
a few single sensitive calls and sometimes part of a malicious chain. Malicious apps have the
same kind of background plus one to three complete chains from
:data:`~droidlens.data.catalog.MALICIOUS_CHAINS`, each inserted one to three times, whose
steps are spread out by other calls.
The positions of the inserted chain calls are the ground truth against which explanations are
scored with :func:`chain_hit_rate` and :func:`chain_recall`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from droidlens.data.catalog import MALICIOUS_CHAINS, load_catalog
from droidlens.data.ground_truth import chain_hit_rate, chain_recall, ground_truth_positions
from droidlens.data.records import BENIGN, MALICIOUS, App

__all__ = [
    "BENIGN_PROFILES",
    "generate_apps",
    "ground_truth_positions",
    "chain_hit_rate",
    "chain_recall",
]

logger = logging.getLogger(__name__)

# Behaviour weights of the blocks that make up an app's background. Every app draws its
# background from one profile, so benign apps of some profiles use sensitive calls for
# legitimate reasons and malicious apps look like repackaged benign ones.
_BASE_WEIGHTS = {
    "ui": 3.0,
    "lifecycle": 3.0,
    "collections_strings": 2.0,
    "logging": 1.0,
    "threads": 1.0,
    "storage": 1.0,
    "reflection": 0.2,
}
BENIGN_PROFILES: dict[str, dict[str, float]] = {
    "utility": {"storage": 1.0, "json_xml": 0.5},
    "news_reader": {"network": 2.0, "json_xml": 2.0},
    "messaging": {"sms": 0.5, "contacts_providers": 1.0, "telephony_ids": 0.4, "network": 1.0},
    "navigation": {"location": 1.0, "network": 1.0, "json_xml": 1.0},
    "media": {"camera_audio": 2.0, "storage": 1.0},
    "game": {"crypto": 0.3, "storage": 0.5, "network": 0.3},
    "security_tool": {
        "package_management": 1.0,
        "process_exec": 0.5,
        "device_admin": 0.3,
        "accessibility": 0.3,
        "crypto": 0.5,
        "reflection": 0.3,
    },
    "social": {"network": 1.0, "contacts_providers": 0.5, "json_xml": 1.0, "camera_audio": 0.5},
}

# Java basics that fill the gaps between blocks, with more weight on the calls that are the
# most frequent in real apps.
_GLUE_WEIGHTS = {
    "Ljava/lang/StringBuilder;->append": 8.0,
    "Ljava/lang/StringBuilder;-><init>": 3.0,
    "Ljava/lang/StringBuilder;->toString": 3.0,
    "Ljava/lang/Object;-><init>": 3.0,
    "Ljava/lang/String;->equals": 2.0,
    "Ljava/util/Iterator;->hasNext": 2.0,
    "Ljava/util/Iterator;->next": 2.0,
    "Ljava/util/ArrayList;->add": 1.5,
    "Ljava/util/List;->get": 1.5,
    "Ljava/util/List;->size": 1.5,
    "Ljava/lang/Integer;->valueOf": 1.5,
    "Ljava/lang/String;->length": 1.5,
}
_GLUE_SHARE = 0.35
_BLOCK_LENGTHS = (2, 8)  # calls per block, upper bound exclusive
_SKIP_SHARE = 0.2  # share of block steps that skip one method of the listed run

# Noise shared by both classes, so that no single call separates them.
_SINGLES_PER_CALL = 0.003  # expected single sensitive calls per background call
_SINGLES_BASE = 0.2
_DECOY_SHARE = 0.25  # share of apps with a partial chain

# Chains per malicious app and spacing of chain steps.
_N_CHAINS_P = (0.6, 0.3, 0.1)
# Copies of each chain: malware often reaches its payload from several entry points.
_COPIES_P = (0.3, 0.4, 0.3)
_GAP_P = 0.35  # gaps between chain steps are geometric with this success probability
_MAX_GAP = 12

_MIN_LEN_FLOOR = 2 * max(len(chain.calls) for chain in MALICIOUS_CHAINS)


@dataclass(frozen=True)
class _Tables:
    """Integer views of the catalogue, built once."""

    calls: np.ndarray  # (n_methods,) object array of call strings
    members: np.ndarray  # method ids grouped by behaviour
    offsets: np.ndarray  # (n_behaviours,) start of each behaviour in ``members``
    sizes: np.ndarray  # (n_behaviours,) methods per behaviour
    profile_names: tuple[str, ...]
    profile_weights: np.ndarray  # (n_profiles, n_behaviours), rows sum to 1
    glue_ids: np.ndarray
    glue_p: np.ndarray
    sensitive_ids: np.ndarray
    chains: tuple[np.ndarray, ...]  # method ids of each chain, in MALICIOUS_CHAINS order


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    catalog = load_catalog()
    call_ids = {call: i for i, call in enumerate(catalog.calls)}
    behaviours = catalog.behaviours

    grouped = [[call_ids[call] for call in catalog.calls_of(b)] for b in behaviours]
    sizes = np.array([len(group) for group in grouped], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    weights = np.zeros((len(BENIGN_PROFILES), len(behaviours)))
    for row, extra in enumerate(BENIGN_PROFILES.values()):
        for name, weight in {**_BASE_WEIGHTS, **extra}.items():
            weights[row, behaviours.index(name)] = weight
    weights /= weights.sum(axis=1, keepdims=True)

    glue = catalog.calls_of("collections_strings")
    glue_w = np.array([_GLUE_WEIGHTS.get(call, 0.3) for call in glue])
    return _Tables(
        calls=np.array(catalog.calls, dtype=object),
        members=np.array([i for group in grouped for i in group], dtype=np.int64),
        offsets=offsets,
        sizes=sizes,
        profile_names=tuple(BENIGN_PROFILES),
        profile_weights=weights,
        glue_ids=np.array([call_ids[call] for call in glue], dtype=np.int64),
        glue_p=glue_w / glue_w.sum(),
        sensitive_ids=np.array([call_ids[c] for c in catalog.sensitive_calls()], dtype=np.int64),
        chains=tuple(
            np.array([call_ids[c] for c in chain.calls], dtype=np.int64)
            for chain in MALICIOUS_CHAINS
        ),
    )


def generate_apps(
    n_apps: int,
    *,
    seed: int | np.random.Generator,
    malicious_fraction: float = 0.5,
    min_len: int = 20,
    max_len: int = 2000,
    label_noise: float = 0.0,
) -> list[App]:
    """Generate benign and malicious apps whose malicious calls are known.

    Parameters
    ----------
    n_apps : int
        Number of apps, at least 1.
    seed : int or numpy.random.Generator
        Seed or generator; the same seed gives the same apps.
    malicious_fraction : float, default=0.5
        Share of malicious apps, in [0, 1]; the count is ``round(n_apps * malicious_fraction)``.
    min_len, max_len : int, default=20 and 2000
        Bounds on the number of calls per app. Lengths are log-uniform between them, so
        most apps are short and a few are long. ``min_len`` must be at least twice the
        longest chain (16 calls).
    label_noise : float, default=0.0
        Probability, in [0, 0.5), that an app's label is flipped after generation. The
        calls and ground truth are left as generated and ``meta["label_flipped"]`` is set.

    Returns
    -------
    list of App
        Apps with ids ``synthetic-000000``, ``synthetic-000001``, ... in generation order,
        labels ``1`` (malicious) and ``0`` (benign) shuffled, and ``meta`` holding:

        - ``"family"``: the first inserted chain's name for malicious apps, else
          ``"benign-<profile>"``;
        - ``"profile"``: the benign profile of the background, such as ``"messaging"``;
        - ``"chains"``: ``[{"name": str, "positions": [int, ...]}, ...]``, one entry per
          inserted copy of a chain, positions into ``calls`` in chain order (empty for
          benign apps);
        - ``"decoys"``: the same for partial chains inserted as noise;
        - ``"label_flipped"``: whether ``label_noise`` flipped the label;
        - ``"source"``: ``"synthetic"``.

    Raises
    ------
    TypeError
        If a count is not an integer or ``seed`` is neither an integer nor a Generator.
    ValueError
        If a value is out of its range.

    Examples
    --------
    >>> from droidlens.data.catalog import get_chain
    >>> apps = generate_apps(4, seed=0)
    >>> sorted(app.label for app in apps)
    [0, 0, 1, 1]
    >>> app = next(app for app in apps if app.label == 1)
    >>> chain = app.meta["chains"][0]
    >>> [app.calls[i] for i in chain["positions"]] == list(get_chain(chain["name"]).calls)
    True
    """
    _check_options(n_apps, seed, malicious_fraction, min_len, max_len, label_noise)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    tables = _tables()

    n_malicious = round(n_apps * malicious_fraction)
    labels = rng.permutation(np.arange(n_apps) < n_malicious).astype(np.int64)
    lengths = _draw_lengths(n_apps, min_len, max_len, rng)

    apps = [_generate_app(i, int(labels[i]), int(lengths[i]), tables, rng) for i in range(n_apps)]

    flipped = rng.random(n_apps) < label_noise
    for app, flip in zip(apps, flipped, strict=True):
        app.meta["label_flipped"] = bool(flip)
        if flip:
            app.label = BENIGN if app.label == MALICIOUS else MALICIOUS
    logger.info(
        "generated %d synthetic apps (%d malicious, %d labels flipped)",
        n_apps,
        n_malicious,
        int(flipped.sum()),
    )
    return apps


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _check_options(
    n_apps: object,
    seed: object,
    malicious_fraction: float,
    min_len: object,
    max_len: object,
    label_noise: float,
) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer | np.random.Generator):
        raise TypeError(f"seed must be an integer or a numpy.random.Generator, got {seed!r}")
    n_apps, min_len, max_len = (
        _check_int(name, value)
        for name, value in (("n_apps", n_apps), ("min_len", min_len), ("max_len", max_len))
    )
    if n_apps < 1:
        raise ValueError(f"n_apps must be at least 1, got {n_apps}")
    if not 0.0 <= malicious_fraction <= 1.0:
        raise ValueError(
            f"malicious_fraction must be in [0, 1], got {malicious_fraction!r}; "
            "pass the share of malicious apps"
        )
    if min_len < _MIN_LEN_FLOOR:
        raise ValueError(
            f"min_len must be at least {_MIN_LEN_FLOOR} (twice the longest chain), got {min_len}"
        )
    if max_len < min_len:
        raise ValueError(f"max_len must be at least min_len={min_len}, got {max_len}")
    if not 0.0 <= label_noise < 0.5:
        raise ValueError(f"label_noise must be in [0, 0.5), got {label_noise!r}")


def _draw_lengths(n_apps: int, min_len: int, max_len: int, rng: np.random.Generator) -> np.ndarray:
    log_len = rng.uniform(math.log(min_len), math.log(max_len + 1), size=n_apps)
    return np.clip(np.floor(np.exp(log_len)), min_len, max_len).astype(np.int64)


def _generate_app(
    index: int, label: int, n_calls: int, tables: _Tables, rng: np.random.Generator
) -> App:
    profile = int(rng.integers(len(tables.profile_names)))
    budget = n_calls // 2  # inserted calls never exceed half of the app

    chain_ids = _pick_chains(label, budget, tables, rng)
    budget -= sum(len(tables.chains[c]) for c in chain_ids)
    decoy_id, decoy_steps = _pick_decoy(budget, tables, rng)

    groups = [tables.chains[c] for c in chain_ids]
    if decoy_id is not None:
        groups.append(tables.chains[decoy_id][decoy_steps])
    n_background = n_calls - sum(len(group) for group in groups)
    background = _draw_background(n_background, tables.profile_weights[profile], tables, rng)
    _add_single_sensitive_calls(background, tables, rng)

    ids, positions = _insert_groups(background, groups, rng)

    chain_names = [MALICIOUS_CHAINS[c].name for c in chain_ids]
    profile_name = tables.profile_names[profile]
    meta: dict[str, Any] = {
        "family": chain_names[0] if chain_names else f"benign-{profile_name}",
        "profile": profile_name,
        "chains": [
            {"name": name, "positions": pos.tolist()}
            for name, pos in zip(chain_names, positions[: len(chain_names)], strict=True)
        ],
        "decoys": [],
        "source": "synthetic",
    }
    if decoy_id is not None:
        meta["decoys"].append(
            {"name": MALICIOUS_CHAINS[decoy_id].name, "positions": positions[-1].tolist()}
        )
    return App(
        app_id=f"synthetic-{index:06d}", label=label, calls=tables.calls[ids].tolist(), meta=meta
    )


def _pick_chains(label: int, budget: int, tables: _Tables, rng: np.random.Generator) -> list[int]:
    """Choose the chains of a malicious app, each repeated one or more times."""
    if label != MALICIOUS:
        return []
    n_chains = int(rng.choice(len(_N_CHAINS_P), p=_N_CHAINS_P)) + 1
    chosen = rng.choice(len(tables.chains), size=n_chains, replace=False)
    copies = rng.choice(len(_COPIES_P), size=n_chains, p=_COPIES_P) + 1

    # Keep the first copy of the first chain always; drop copies that do not fit in a
    # short app.
    picked: list[int] = []
    for c, n_copies in zip(chosen.tolist(), copies.tolist(), strict=True):
        steps = len(tables.chains[c])
        for _ in range(n_copies):
            if picked and steps > budget:
                break
            picked.append(c)
            budget -= steps
    return picked


def _pick_decoy(
    budget: int, tables: _Tables, rng: np.random.Generator
) -> tuple[int | None, np.ndarray]:
    """Choose a chain and an ordered proper subset of its steps, or nothing."""
    if rng.random() >= _DECOY_SHARE:
        return None, np.empty(0, dtype=np.int64)
    chain_id = int(rng.integers(len(tables.chains)))
    n_steps = len(tables.chains[chain_id])
    n_kept = int(rng.integers(1, n_steps))  # 1 .. n_steps - 1: never the whole chain
    if n_kept > budget:
        return None, np.empty(0, dtype=np.int64)
    steps = np.sort(rng.choice(n_steps, size=n_kept, replace=False))
    return chain_id, steps


def _draw_background(
    n_calls: int, weights: np.ndarray, tables: _Tables, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``n_calls`` method ids as blocks of consecutive methods of one behaviour."""
    low, high = _BLOCK_LENGTHS
    n_blocks = n_calls // low + 1
    lengths = rng.integers(low, high, size=n_blocks)
    n_blocks = int(np.searchsorted(np.cumsum(lengths), n_calls)) + 1
    lengths = lengths[:n_blocks]
    behaviours = rng.choice(len(weights), size=n_blocks, p=weights)
    starts = rng.integers(0, tables.sizes[behaviours])

    # Walk each block through its behaviour's list from the start, skipping a method now
    # and then, so that neighbouring calls mostly share a class, as in real code.
    total = int(lengths.sum())
    block_of = np.repeat(np.arange(n_blocks), lengths)
    steps = 1 + (rng.random(total) < _SKIP_SHARE)
    walked = np.cumsum(steps)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    walked -= np.repeat(walked[first], lengths)
    b = behaviours[block_of]
    within = (starts[block_of] + walked) % tables.sizes[b]
    ids = tables.members[tables.offsets[b] + within][:n_calls]

    glue = rng.random(n_calls) < _GLUE_SHARE
    ids[glue] = rng.choice(tables.glue_ids, size=int(glue.sum()), p=tables.glue_p)
    return ids


def _add_single_sensitive_calls(
    background: np.ndarray, tables: _Tables, rng: np.random.Generator
) -> None:
    n_single = min(
        int(rng.poisson(_SINGLES_BASE + _SINGLES_PER_CALL * len(background))), len(background)
    )
    where = rng.choice(len(background), size=n_single, replace=False)
    background[where] = rng.choice(tables.sensitive_ids, size=n_single)


def _insert_groups(
    background: np.ndarray, groups: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Insert each group's calls in order, spread out by background calls.

    Returns the merged method ids and, per group, the positions of its calls in them.
    """
    if not groups:
        return background, []
    points, values, owners, orders = [], [], [], []
    for g, group in enumerate(groups):
        gaps = np.minimum(rng.geometric(_GAP_P, size=len(group) - 1) - 1, _MAX_GAP)
        span = int(gaps.sum())
        start = int(rng.integers(0, max(len(background) - span, 0) + 1))
        points.append(np.minimum(start + np.concatenate([[0], np.cumsum(gaps)]), len(background)))
        values.append(group)
        owners.append(np.full(len(group), g))
        orders.append(np.arange(len(group)))

    point = np.concatenate(points)
    owner = np.concatenate(owners)
    # Sort inserts by background index; ties keep group order, then step order. The k-th
    # insert in that order lands at its background index plus k.
    order = np.lexsort((np.concatenate(orders), owner, point))
    merged = np.insert(background, point[order], np.concatenate(values)[order])
    final = np.empty(len(point), dtype=np.int64)
    final[order] = point[order] + np.arange(len(point))
    return merged, [final[owner == g] for g in range(len(groups))]
