"""Detectors, their registry, summaries, pre-trained embeddings and device selection."""

from droidlens.models.attention import AttentionDetector, ContextAttention
from droidlens.models.base import Detector, SpatialDropout, compact_calls
from droidlens.models.bilstm import BiLSTMDetector
from droidlens.models.device import amp_dtype, autocast_context, resolve_device
from droidlens.models.embeddings import apply_embeddings, load_word_vectors, train_word2vec
from droidlens.models.registry import MODELS, ModelSpec, build_model, model_names, register_model
from droidlens.models.summary import ParameterCounts, count_parameters, summarize

__all__ = [
    "Detector",
    "SpatialDropout",
    "compact_calls",
    "BiLSTMDetector",
    "AttentionDetector",
    "ContextAttention",
    "MODELS",
    "ModelSpec",
    "build_model",
    "model_names",
    "register_model",
    "ParameterCounts",
    "count_parameters",
    "summarize",
    "resolve_device",
    "amp_dtype",
    "autocast_context",
    "train_word2vec",
    "load_word_vectors",
    "apply_embeddings",
]
