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
    width = order + 1
    size = gram.shape[0]
    banded = np.zeros((width + 1, size))
    for offset in range(min(width, size - 1) + 1):
        banded[width - offset, offset:] = gram.diagonal(offset)
    return banded


def sub_banded(banded: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Return the principal submatrix at the sorted rows ``index`` in the same storage.

    A principal submatrix of a banded matrix keeps its bandwidth. Entry ``(index[a - d],
    index[a])`` of the full matrix lies on its superdiagonal ``index[a] - index[a - d]``,
    which is zero past the bandwidth, so each superdiagonal of the submatrix is gathered
    from the full storage in one indexing step.
    """
    width = banded.shape[0] - 1
    size = index.size
    sub = np.zeros((width + 1, size))
    sub[width] = banded[width, index]
    for offset in range(1, min(width, size - 1) + 1):
        distance = index[offset:] - index[:-offset]
        inside = distance <= width
        columns = index[offset:][inside]
        sub[width - offset, offset:][inside] = banded[width - distance[inside], columns]
    return sub
