"""Explanation methods and the runner that applies them to many apps.

Importing this package registers every method: ``occlusion``, ``occlusion-raw``, ``lemna``,
``random``, ``gradient``, ``integrated-gradients``, ``lime``, ``kernelshap`` and ``attention``.
"""

from droidlens.explain import baselines, lemna, occlusion  # noqa: F401  (registration)
from droidlens.explain.options import ExplainOptions
from droidlens.explain.registry import METHODS, MethodSpec, get_method, register_method
from droidlens.explain.result import Explanation, MethodOutput, rank_relevance
from droidlens.explain.runner import ExplanationTable, explain_apps, explain_one
from droidlens.explain.store import read_explanations, write_original_json

__all__ = [
    "METHODS",
    "ExplainOptions",
    "Explanation",
    "ExplanationTable",
    "MethodOutput",
    "MethodSpec",
    "explain_apps",
    "explain_one",
    "get_method",
    "rank_relevance",
    "read_explanations",
    "register_method",
    "write_original_json",
]
