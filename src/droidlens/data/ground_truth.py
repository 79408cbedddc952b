"""Score an explanation's ranking against the known malicious calls of a synthetic app."""

from __future__ import annotations

import math

import numpy as np

from droidlens.data.records import App

__all__ = ["ground_truth_positions", "chain_hit_rate", "chain_recall"]


def ground_truth_positions(app: App) -> np.ndarray:
    """Return the sorted positions of all inserted malicious chain calls of an app.

    Parameters
    ----------
    app : App
        An app from :func:`~droidlens.data.synthetic.generate_apps`, or any app whose
        ``meta["chains"]`` has the same form. An app without ``"chains"`` has no known
        malicious calls.

    Returns
    -------
    ndarray of shape (n_positions,), dtype int64
        Unique positions into ``app.calls``; empty for benign apps.
    """
    chains = app.meta.get("chains", [])
    positions = [p for chain in chains for p in chain["positions"]]
    return np.unique(np.asarray(positions, dtype=np.int64))


def _check_ranking(
    ranking: object, chain_positions: object, k: object
) -> tuple[np.ndarray, set[int]]:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"k must be an integer, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    ranking_arr = np.asarray(ranking)
    if ranking_arr.ndim != 1 or not np.issubdtype(ranking_arr.dtype, np.integer):
        raise ValueError(
            f"ranking must be a 1-D array of integer positions, got shape {ranking_arr.shape} "
            f"and dtype {ranking_arr.dtype}"
        )
    truth = np.asarray(chain_positions).ravel()
    if truth.size and not np.issubdtype(truth.dtype, np.integer):
        raise ValueError(f"chain_positions must be integers, got dtype {truth.dtype}")
    return ranking_arr, set(truth.tolist())


def chain_hit_rate(ranking: np.ndarray, chain_positions: np.ndarray, k: int) -> float:
    """Return the share of the ``k`` top-ranked positions that are malicious chain calls.

    Parameters
    ----------
    ranking : ndarray of shape (seq_len,), dtype int
        Positions ordered from most to least relevant, as from
        :func:`~droidlens.explain.result.rank_relevance`.
    chain_positions : array-like of int
        Ground-truth positions, as from :func:`ground_truth_positions`.
    k : int
        Number of top positions looked at, at least 1.

    Returns
    -------
    float
        ``|top_k & chain| / |top_k|``, where ``top_k`` is ``ranking[:k]`` (all of the
        ranking when it is shorter than ``k``); 0.0 for an empty ranking.

    Raises
    ------
    TypeError
        If ``k`` is not an integer.
    ValueError
        If ``k < 1`` or the ranking is not a 1-D integer array.
    """
    ranking_arr, truth = _check_ranking(ranking, chain_positions, k)
    top = ranking_arr[:k].tolist()
    if not top:
        return 0.0
    return sum(position in truth for position in top) / len(top)


def chain_recall(ranking: np.ndarray, chain_positions: np.ndarray, k: int) -> float:
    """Return the share of malicious chain calls that are among the ``k`` top-ranked positions.

    Parameters
    ----------
    ranking, chain_positions, k
        As in :func:`chain_hit_rate`.

    Returns
    -------
    float
        ``|top_k & chain| / |chain|``; NaN when ``chain_positions`` is empty (benign apps),
        so that averages over apps can skip it with :func:`numpy.nanmean`.

    Raises
    ------
    TypeError, ValueError
        As in :func:`chain_hit_rate`.
    """
    ranking_arr, truth = _check_ranking(ranking, chain_positions, k)
    if not truth:
        return math.nan
    top = set(ranking_arr[:k].tolist())
    return len(top & truth) / len(truth)
