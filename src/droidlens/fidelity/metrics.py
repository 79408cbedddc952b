"""Binary classification metrics with their confusion counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["BinaryMetrics", "binary_metrics", "METRIC_NAMES"]

METRIC_NAMES = ("accuracy", "tpr", "fpr", "f1", "precision")


@dataclass(frozen=True)
class BinaryMetrics:
    """Scores of a malware detector, malicious being the positive class.

    Rates are fractions in [0, 1]; a rate whose denominator is zero is NaN.
    """

    n_apps: int
    tp: int
    tn: int
    fp: int
    fn: int
    accuracy: float
    tpr: float
    fpr: float
    f1: float
    precision: float

    def as_dict(self) -> dict[str, float | int]:
        """Return the fields as a flat dict."""
        return asdict(self)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else float("nan")


def binary_metrics(labels: np.ndarray, predicted: np.ndarray) -> BinaryMetrics:
    """Compute accuracy, TPR, FPR, F1 and precision with the confusion counts.

    Parameters
    ----------
    labels : array of shape (n_apps,)
        True labels, ``1`` malicious and ``0`` benign.
    predicted : array of shape (n_apps,)
        Predicted labels, same coding.

    Returns
    -------
    BinaryMetrics

    Raises
    ------
    ValueError
        If the arrays differ in shape or hold values other than 0 and 1.

    Examples
    --------
    >>> m = binary_metrics(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 1]))
    >>> (m.tp, m.fn, m.tn, m.fp, m.accuracy)
    (1, 1, 1, 1, 0.5)
    """
    labels = np.asarray(labels)
    predicted = np.asarray(predicted)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(
            f"labels and predictions must be 1-D arrays of one shape, got {labels.shape} "
            f"and {predicted.shape}"
        )
    for name, values in (("labels", labels), ("predictions", predicted)):
        bad = ~np.isin(values, (0, 1))
        if bad.any():
            raise ValueError(
                f"{name} must be 0 or 1, found {values[bad][0].item()!r} at index "
                f"{int(np.argmax(bad))}"
            )
    tp = int(np.sum((labels == 1) & (predicted == 1)))
    tn = int(np.sum((labels == 0) & (predicted == 0)))
    fp = int(np.sum((labels == 0) & (predicted == 1)))
    fn = int(np.sum((labels == 1) & (predicted == 0)))
    precision = _ratio(tp, tp + fp)
    tpr = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return BinaryMetrics(
        n_apps=int(labels.size),
        tp=tp,
        tn=tn,
        fp=fp,
        fn=fn,
        accuracy=_ratio(tp + tn, int(labels.size)),
        tpr=tpr,
        fpr=_ratio(fp, fp + tn),
        f1=f1,
        precision=precision,
    )
