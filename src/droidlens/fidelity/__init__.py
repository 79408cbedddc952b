"""Fidelity tests: how faithful rankings are to the detector they explain."""

from droidlens.fidelity.augmentation import augmentation_test
from droidlens.fidelity.compare import (
    TEST_NAMES,
    CompareSettings,
    ComparisonResult,
    compare_methods,
)
from droidlens.fidelity.deduction import deduction_test
from droidlens.fidelity.descriptive import descriptive_accuracy, descriptive_sparsity
from droidlens.fidelity.efficiency import efficiency
from droidlens.fidelity.grids import count_grid, k_for_percent, percent_grid
from droidlens.fidelity.metrics import BinaryMetrics, binary_metrics
from droidlens.fidelity.stability import stability
from droidlens.fidelity.synthetic import keep_top_k, random_rankings, synthetic_test

__all__ = [
    "TEST_NAMES",
    "BinaryMetrics",
    "CompareSettings",
    "ComparisonResult",
    "augmentation_test",
    "binary_metrics",
    "compare_methods",
    "count_grid",
    "deduction_test",
    "descriptive_accuracy",
    "descriptive_sparsity",
    "efficiency",
    "k_for_percent",
    "keep_top_k",
    "percent_grid",
    "random_rankings",
    "stability",
    "synthetic_test",
]
