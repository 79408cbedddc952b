"""Pre-trained word vectors: word2vec training, word2vec files and loading into detectors."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from droidlens.data.tokenize import TokenizerConfig
from droidlens.data.vocab import NULL_ID, PAD_ID, UNK_ID, Vocabulary
from droidlens.errors import DataError, DroidlensError, ModelError
from droidlens.models.embeddings import apply_embeddings, load_word_vectors, train_word2vec
from droidlens.models.registry import build_model

WORDS = ["landroid", "telephony", "getdeviceid", "sendtextmessage", "content", "query"]
SENTENCES = [
    ["landroid", "telephony", "getdeviceid", "landroid", "telephony", "sendtextmessage"],
    ["landroid", "content", "query", "landroid", "telephony", "getdeviceid"],
] * 5


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary(WORDS, tokenizer=TokenizerConfig())


def write_text(path: Path, vectors: dict[str, np.ndarray]) -> None:
    dim = len(next(iter(vectors.values())))
    lines = [f"{len(vectors)} {dim}"]
    lines += [
        word + " " + " ".join(f"{value:.6f}" for value in vector)
        for word, vector in vectors.items()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_binary(path: Path, vectors: dict[str, np.ndarray], *, newline: bool) -> None:
    dim = len(next(iter(vectors.values())))
    with path.open("wb") as stream:
        stream.write(f"{len(vectors)} {dim}\n".encode())
        for word, vector in vectors.items():
            stream.write(word.encode() + b" " + np.asarray(vector, dtype="<f4").tobytes())
            if newline:
                stream.write(b"\n")


def some_vectors(words: list[str], dim: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {word: rng.normal(size=dim).astype(np.float32) for word in words}


# train_word2vec


def test_word2vec_shape_and_reserved_rows(vocab: Vocabulary) -> None:
    matrix = train_word2vec(SENTENCES, vocab, dim=8, seed=1, epochs=2)
    assert matrix.shape == (len(vocab), 8)
    assert matrix.dtype == np.float32
    assert not matrix[PAD_ID].any()
    assert not matrix[NULL_ID].any()
    assert matrix[UNK_ID].any()


def test_word2vec_same_seed_same_vectors(vocab: Vocabulary) -> None:
    first = train_word2vec(SENTENCES, vocab, dim=8, seed=3, epochs=2)
    second = train_word2vec(SENTENCES, vocab, dim=8, seed=3, epochs=2)
    assert np.array_equal(first, second)


def test_word2vec_seed_changes_vectors(vocab: Vocabulary) -> None:
    first = train_word2vec(SENTENCES, vocab, dim=8, seed=3, epochs=2)
    second = train_word2vec(SENTENCES, vocab, dim=8, seed=4, epochs=2)
    assert not np.array_equal(first, second)


@pytest.mark.slow
def test_word2vec_same_across_hash_seeds(vocab: Vocabulary, tmp_path: Path) -> None:
    # Python salts str hashes per process; the vectors must not depend on that salt.
    script = (
        "import numpy as np, sys\n"
        "from droidlens.data.tokenize import TokenizerConfig\n"
        "from droidlens.data.vocab import Vocabulary\n"
        "from droidlens.models.embeddings import train_word2vec\n"
        f"vocab = Vocabulary({WORDS!r}, tokenizer=TokenizerConfig())\n"
        f"matrix = train_word2vec({SENTENCES!r}, vocab, dim=8, seed=3, epochs=2)\n"
        "np.save(sys.argv[1], matrix)\n"
    )
    expected = train_word2vec(SENTENCES, vocab, dim=8, seed=3, epochs=2)
    for hash_seed in ("1", "2"):
        out = tmp_path / f"matrix_{hash_seed}.npy"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": "1"}
        subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True)
        assert np.array_equal(np.load(out), expected)


def test_word2vec_absent_word_drawn(vocab: Vocabulary) -> None:
    sentences = [sentence[:3] for sentence in SENTENCES]
    matrix = train_word2vec(sentences, vocab, dim=8, seed=1, epochs=1)
    assert matrix[vocab.word_id("query")].any()


@pytest.mark.parametrize(
    ("word_lists", "options", "error", "message"),
    [
        ([], {}, ValueError, "word_lists contains no word"),
        ([[], []], {}, ValueError, "word_lists contains no word"),
        (SENTENCES, {"dim": 0}, ValueError, "dim must be at least 1, got 0"),
        (SENTENCES, {"epochs": 0}, ValueError, "epochs must be at least 1, got 0"),
        (SENTENCES, {"window": 0}, ValueError, "window must be at least 1, got 0"),
        (iter(SENTENCES), {}, TypeError, "word_lists must be a sequence"),
        ("landroid", {}, TypeError, "word_lists must be a sequence"),
    ],
)
def test_word2vec_invalid_input(
    vocab: Vocabulary, word_lists: object, options: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        train_word2vec(word_lists, vocab, seed=0, **options)  # type: ignore[arg-type]


def test_word2vec_without_gensim(vocab: Vocabulary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(DroidlensError, match=r"pip install 'droidlens\[embeddings\]'"):
        train_word2vec(SENTENCES, vocab, seed=0)


# load_word_vectors


@pytest.mark.parametrize("file_format", ["text", "binary", "binary-newline", "text-gz"])
def test_load_vectors_formats(tmp_path: Path, vocab: Vocabulary, file_format: str) -> None:
    vectors = some_vectors(["telephony", "extra", "landroid", "query"], dim=4)
    path = tmp_path / "vectors.bin"
    if file_format == "text":
        write_text(path, vectors)
    elif file_format == "text-gz":
        write_text(tmp_path / "plain.txt", vectors)
        path = tmp_path / "vectors.txt.gz"
        path.write_bytes(gzip.compress((tmp_path / "plain.txt").read_bytes()))
    else:
        write_binary(path, vectors, newline=file_format == "binary-newline")

    matrix, n_missing = load_word_vectors(path, vocab, dim=4)

    assert matrix.shape == (len(vocab), 4)
    assert n_missing == 3
    for word in ("telephony", "landroid", "query"):
        assert_allclose(matrix[vocab.word_id(word)], vectors[word], rtol=0, atol=1e-6)
    assert not matrix[PAD_ID].any()


@pytest.mark.parametrize("binary", [False, True])
def test_load_vectors_gensim_files(tmp_path: Path, vocab: Vocabulary, binary: bool) -> None:
    keyedvectors = pytest.importorskip("gensim.models.keyedvectors")
    vectors = some_vectors(["getdeviceid", "content"], dim=5)
    stored = keyedvectors.KeyedVectors(vector_size=5)
    stored.add_vectors(list(vectors), np.array(list(vectors.values())))
    path = tmp_path / "gensim.vec"
    stored.save_word2vec_format(str(path), binary=binary)

    matrix, n_missing = load_word_vectors(path, vocab, dim=5)

    assert n_missing == 4
    assert_allclose(matrix[vocab.word_id("content")], vectors["content"], rtol=0, atol=1e-6)


def test_load_vectors_missing_words_scaled(tmp_path: Path) -> None:
    many = [f"word{i}" for i in range(400)]
    vocab = Vocabulary(many, tokenizer=TokenizerConfig())
    vectors = {word: vector * 3.0 for word, vector in some_vectors(many[:200], dim=10).items()}
    path = tmp_path / "vectors.txt"
    write_text(path, vectors)

    matrix, n_missing = load_word_vectors(path, vocab, dim=10, seed=5)

    assert n_missing == 200
    drawn = matrix[[vocab.word_id(word) for word in many[200:]]]
    # 2,000 draws from N(0, 3^2): their standard deviation is within 10% of 3.
    assert_allclose(drawn.std(), 3.0, rtol=0.1, atol=0)
    again, _ = load_word_vectors(path, vocab, dim=10, seed=5)
    assert np.array_equal(matrix, again)


def test_load_vectors_first_duplicate_kept(tmp_path: Path, vocab: Vocabulary) -> None:
    path = tmp_path / "vectors.txt"
    path.write_text("2 2\nquery 1.0 2.0\nquery 3.0 4.0\n", encoding="utf-8")
    matrix, _ = load_word_vectors(path, vocab, dim=2)
    assert_allclose(matrix[vocab.word_id("query")], [1.0, 2.0], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"2 3\nquery 1 2 3\ncontent 1 2 3\n",
            "vectors have 3 values but the model's embedding_dim is 2",
        ),
        (b"query 1 2\n", "the first line must be 'n_words dim'"),
        (b"2 2\nquery 1 2\n", "invalid word vector record 2 of 2"),
        (b"1 2\nquery 1 x\n", "invalid word vector record 1 of 1"),
        (b"1 2\nquery \x00\x00\x80", "invalid word vector record 1 of 1"),
        (b"-1 2\n", "invalid header"),
    ],
)
def test_load_vectors_invalid_file(
    tmp_path: Path, vocab: Vocabulary, content: bytes, message: str
) -> None:
    path = tmp_path / "vectors.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_word_vectors(path, vocab, dim=2)


def test_load_vectors_file_not_found(tmp_path: Path, vocab: Vocabulary) -> None:
    with pytest.raises(DataError, match="word vector file not found"):
        load_word_vectors(tmp_path / "absent.vec", vocab, dim=2)


# apply_embeddings


@pytest.mark.parametrize("name", ["bilstm1", "attention"])
@pytest.mark.parametrize("freeze", [True, False])
def test_apply_embeddings_copies(name: str, freeze: bool) -> None:
    model = build_model(name, vocab_size=9, max_words=3)
    matrix = np.arange(9 * 20, dtype=np.float32).reshape(9, 20)
    apply_embeddings(model, matrix, freeze=freeze)
    weight = model.embedding.weight.detach().numpy()
    assert not weight[PAD_ID].any()
    assert_allclose(weight[1:], matrix[1:], rtol=0, atol=0)
    assert model.embedding.weight.requires_grad is not freeze


def test_apply_embeddings_frozen_not_trained() -> None:
    model = build_model("attention", vocab_size=9, max_words=3).train()
    apply_embeddings(model, np.ones((9, 20), dtype=np.float32), freeze=True)
    model(torch.full((2, 3, 3), 4, dtype=torch.long)).sum().backward()
    assert model.embedding.weight.grad is None


def test_apply_embeddings_shape_mismatch() -> None:
    model = build_model("bilstm1", vocab_size=9, max_words=3)
    with pytest.raises(ModelError, match=r"shape \(9, 8\) but the model's embedding has \(9, 20\)"):
        apply_embeddings(model, np.zeros((9, 8)), freeze=False)


def test_apply_embeddings_no_embedding() -> None:
    with pytest.raises(ModelError, match="Linear has no nn.Embedding named 'embedding'"):
        apply_embeddings(nn.Linear(2, 2), np.zeros((2, 2)), freeze=False)
