"""Apps as API-call sequences: reading, tokenising, encoding and splitting."""

from droidlens.data.encode import EncodedApps, encode_apps, nullify
from droidlens.data.jsonl import iter_jsonl, read_jsonl, write_jsonl
from droidlens.data.legacy import read_legacy, safe_unpickle
from droidlens.data.load import load_apps
from droidlens.data.records import App, parse_label
from droidlens.data.split import Split, stratified_split
from droidlens.data.tokenize import TokenizerConfig, split_call
from droidlens.data.vocab import NULL_ID, PAD_ID, UNK_ID, Vocabulary

__all__ = [
    "App", "EncodedApps", "NULL_ID", "PAD_ID", "Split", "TokenizerConfig", "UNK_ID",
    "Vocabulary", "encode_apps", "iter_jsonl", "load_apps", "nullify", "parse_label",
    "read_jsonl", "read_legacy", "safe_unpickle", "split_call", "stratified_split",
    "write_jsonl",
]
