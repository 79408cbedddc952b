"""Apps as API-call sequences: reading, tokenising, encoding and splitting."""

from droidlens.data.catalog import MALICIOUS_CHAINS, get_chain, load_catalog
from droidlens.data.encode import EncodedApps, encode_apps, nullify
from droidlens.data.ground_truth import chain_hit_rate, chain_recall, ground_truth_positions
from droidlens.data.jsonl import iter_jsonl, read_jsonl, write_jsonl
from droidlens.data.legacy import read_legacy, safe_unpickle
from droidlens.data.load import load_apps
from droidlens.data.records import App, parse_label
from droidlens.data.split import Split, stratified_split
from droidlens.data.synthetic import generate_apps
from droidlens.data.tokenize import TokenizerConfig, split_call
from droidlens.data.vocab import NULL_ID, PAD_ID, UNK_ID, Vocabulary

__all__ = [
    "MALICIOUS_CHAINS",
    "chain_hit_rate",
    "chain_recall",
    "generate_apps",
    "get_chain",
    "ground_truth_positions",
    "load_catalog",
    "App",
    "EncodedApps",
    "NULL_ID",
    "PAD_ID",
    "Split",
    "TokenizerConfig",
    "UNK_ID",
    "Vocabulary",
    "encode_apps",
    "iter_jsonl",
    "load_apps",
    "nullify",
    "parse_label",
    "read_jsonl",
    "read_legacy",
    "safe_unpickle",
    "split_call",
    "stratified_split",
    "write_jsonl",
]
