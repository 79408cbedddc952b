"""Banded storage of ``D D^T`` and its principal submatrices for scipy's banded solvers."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["gram_banded", "sub_banded"]


def gram_banded(difference: sp.csr_matrix, order: int) -> np.ndarray:
    """Return ``D D^T`` in upper banded storage of bandwidth ``order + 1``.

    Row ``w - d`` of the result contains the d-th superdiagonal, right-aligned, as
    :func:`scipy.linalg.solveh_banded` expects (``w = order + 1``).
    """
    gram = (difference @ difference.T).tocsr()
    return sub_banded(gram, np.arange(gram.shape[0]), order)


def sub_banded(gram: sp.csr_matrix, index: np.ndarray, order: int) -> np.ndarray:
    """Return the principal submatrix ``gram[index][:, index]`` in upper banded storage.

    A principal submatrix of a banded matrix keeps its bandwidth, so the same storage works
    for any sorted subset of rows.
    """
    width = order + 1
    sub = gram[index][:, index].tocsr() if index.size < gram.shape[0] else gram
    size = index.size
    banded = np.zeros((width + 1, size))
    for offset in range(min(width, size - 1) + 1):
        banded[width - offset, offset:] = sub.diagonal(offset)
    return banded
