"""Word vocabularies: reserved ids, building from the training split, saving and loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from droidlens.data.encode import encode_apps
from droidlens.data.records import App
from droidlens.data.split import stratified_split
from droidlens.data.tokenize import TokenizerConfig, split_call
from droidlens.data.vocab import N_RESERVED, NULL_ID, PAD_ID, UNK_ID, Vocabulary
from droidlens.errors import DataError

TOKENIZER = TokenizerConfig(max_words=4)


def test_vocab_reserved_ids() -> None:
    vocab = Vocabulary(["a", "b"], tokenizer=TOKENIZER)
    assert (PAD_ID, NULL_ID, UNK_ID, N_RESERVED) == (0, 1, 2, 3)
    assert vocab.words[:3] == ["<pad>", "<null>", "<unk>"]
    assert vocab.word_id("a") == 3
    assert vocab.word_id("never-seen") == UNK_ID
    assert len(vocab) == 5


def test_vocab_reserved_words_not_contained() -> None:
    vocab = Vocabulary(["a"], tokenizer=TOKENIZER)
    assert "a" in vocab
    assert "<pad>" not in vocab
    assert "b" not in vocab


def test_vocab_build_order_by_count_then_alphabet() -> None:
    vocab = Vocabulary.build([["b", "c", "a"], ["c", "a"], ["c", "d"]], tokenizer=TOKENIZER)
    assert vocab.words[N_RESERVED:] == ["c", "a", "b", "d"]


def test_vocab_build_deterministic_over_input_order() -> None:
    lists = [["x", "y"], ["z", "y"], ["w"]]
    first = Vocabulary.build(lists, tokenizer=TOKENIZER)
    second = Vocabulary.build(list(reversed(lists)), tokenizer=TOKENIZER)
    assert first.words == second.words


def test_vocab_min_count() -> None:
    vocab = Vocabulary.build([["a", "a", "b"]], tokenizer=TOKENIZER, min_count=2)
    assert vocab.words[N_RESERVED:] == ["a"]
    with pytest.raises(ValueError, match="min_count must be at least 1, got 0"):
        Vocabulary.build([], tokenizer=TOKENIZER, min_count=0)


def test_vocab_duplicate_words_rejected() -> None:
    with pytest.raises(DataError, match="vocabulary words must be unique"):
        Vocabulary(["a", "a"], tokenizer=TOKENIZER)


def test_vocab_training_split_only() -> None:
    shared = "Landroid/util/Log;->d"
    apps = [App(f"app{i}", i % 2, [shared, f"Lcom/only{i}/Klass;->m{i}"]) for i in range(20)]
    split = stratified_split(apps, seed=1)
    train = split.select(apps, "train")
    words = [[w for call in app.calls for w in split_call(call, config=TOKENIZER)] for app in train]
    vocab = Vocabulary.build(words, tokenizer=TOKENIZER)
    test_app = split.select(apps, "test")[0]
    encoded = encode_apps([test_app], vocab)
    # The shared call is known; the test app's own call has its own package and method words.
    assert (encoded.tokens[0, 0] >= N_RESERVED).sum() == 4
    assert encoded.tokens[0, 1].tolist() == [
        vocab.word_id("com"),
        UNK_ID,
        vocab.word_id("klass"),
        UNK_ID,
    ]


def test_vocab_save_load_round_trip(tmp_path: Path) -> None:
    vocab = Vocabulary.build(
        [["b", "a", "a"]], tokenizer=TokenizerConfig(max_words=3, camel_case=True)
    )
    vocab.save(tmp_path / "vocab.json")
    loaded = Vocabulary.load(tmp_path / "vocab.json")
    assert loaded.words == vocab.words
    assert loaded.tokenizer == vocab.tokenizer
    payload = json.loads((tmp_path / "vocab.json").read_text(encoding="utf-8"))
    assert payload["reserved"] == {"pad": 0, "null": 1, "unknown": 2}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid vocabulary file"),
        ('{"words": []}', "invalid vocabulary file"),
        ('{"tokenizer": {"colour": 1}, "words": []}', "invalid vocabulary file"),
    ],
)
def test_vocab_load_invalid(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "vocab.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        Vocabulary.load(path)


def test_vocab_load_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="vocabulary file not found"):
        Vocabulary.load(tmp_path / "vocab.json")
