"""Pre-trained word embeddings: train them with word2vec, read them from a file, load them.

Rows follow vocabulary ids. The reserved rows are fixed: PAD and NULL are zero (a detector
never embeds a NULL word because it drops nullified calls first), and UNK is drawn like a
word missing from the vectors.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np
import torch
from torch import nn

from droidlens.data.vocab import N_RESERVED, NULL_ID, PAD_ID, Vocabulary
from droidlens.errors import DataError, DroidlensError, ModelError

__all__ = ["train_word2vec", "load_word_vectors", "apply_embeddings"]

logger = logging.getLogger(__name__)


def train_word2vec(
    word_lists: Sequence[Sequence[str]],
    vocab: Vocabulary,
    *,
    dim: int = 20,
    seed: int = 0,
    epochs: int = 5,
    window: int = 5,
) -> np.ndarray:
    """Train word2vec (CBOW, gensim) on word sequences and return a matrix in vocabulary order.

    Parameters
    ----------
    word_lists : sequence of sequence of str
        The training sentences, for example the words of each training app in call order.
        Read ``epochs + 1`` times, so it must be a sequence, not an iterator.
    vocab : Vocabulary
        Row ``i`` of the result is the vector of ``vocab.words[i]``.
    dim : int, default=20
        Vector size; the original system used 20.
    seed : int, default=0
        Seed of gensim's initialisation and sampling, and of the vectors drawn for vocabulary
        words absent from ``word_lists``.
    epochs : int, default=5
    window : int, default=5
        Maximum distance between a word and a context word.

    Returns
    -------
    ndarray of shape (len(vocab), dim), dtype float32

    Raises
    ------
    DroidlensError
        If gensim is not installed.
    ValueError
        If ``word_lists`` has no word, or an option is out of range.

    Notes
    -----
    Training uses one worker thread and a hash function that does not depend on Python's
    per-process string hashing, so a seed gives the same vectors in every run (gensim 4.4).
    Vocabulary words absent from ``word_lists`` are initialised as in
    :func:`load_word_vectors`.
    """
    Word2Vec = _import_word2vec()
    for name, value in (("dim", dim), ("epochs", epochs), ("window", window)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if isinstance(word_lists, (str, bytes)) or not isinstance(word_lists, Sequence):
        raise TypeError(
            f"word_lists must be a sequence of word sequences, got {type(word_lists).__name__}"
        )
    sentences = [list(words) for words in word_lists if len(words) > 0]
    if not sentences:
        raise ValueError("word_lists contains no word; pass the words of the training apps")

    model = Word2Vec(
        sentences,
        vector_size=dim,
        window=window,
        min_count=1,
        workers=1,
        seed=seed,
        epochs=epochs,
        hashfxn=_stable_hash,
    )
    vectors = {word: model.wv[word] for word in model.wv.index_to_key}
    matrix, n_missing = _matrix_from_vectors(vectors, vocab, dim=dim, seed=seed)
    logger.info(
        "trained word2vec vectors of %d dims on %d sentences; %d of %d vocabulary words "
        "were absent and drawn at random",
        dim,
        len(sentences),
        n_missing,
        len(vocab) - N_RESERVED,
    )
    return matrix


def load_word_vectors(
    path: str | Path, vocab: Vocabulary, *, dim: int, seed: int = 0
) -> tuple[np.ndarray, int]:
    """Read word2vec vectors (text or binary, optionally gzipped) into vocabulary order.

    Parameters
    ----------
    path : str or Path
        A word2vec file: a header line ``n_words dim``, then per word either a text line
        ``word v1 ... vdim`` or, in the binary format, the word, a space and ``dim``
        little-endian float32 values. The format is detected from the first record. A name
        ending in ``.gz`` is read through gzip.
    vocab : Vocabulary
        Row ``i`` of the result is the vector of ``vocab.words[i]``.
    dim : int
        Expected vector size, the model's embedding size.
    seed : int, default=0
        Seed of the vectors drawn for missing words.

    Returns
    -------
    matrix : ndarray of shape (len(vocab), dim), dtype float32
    n_missing : int
        Regular vocabulary words (reserved ids excluded) that the file does not contain.

    Raises
    ------
    DataError
        If the file is missing or malformed, or its vectors do not have ``dim`` values.

    Notes
    -----
    A missing word, and UNK, gets a vector drawn from ``N(0, s^2)`` with ``s`` the standard
    deviation of all values of the found vectors (0.1 if none is found), from a generator
    seeded with ``seed``. Only words of ``vocab`` are kept in memory; when the file repeats a
    word, its first vector is kept.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"word vector file not found: {path}")
    vocab_words = set(vocab.words[N_RESERVED:])
    with _open_binary(path) as stream:
        vectors = _read_word2vec(stream, vocab_words, dim=dim, path=path)

    matrix, n_missing = _matrix_from_vectors(vectors, vocab, dim=dim, seed=seed)
    logger.info(
        "loaded %d-dim vectors for %d of %d vocabulary words from %s; %d missing words "
        "were drawn at random",
        dim,
        len(vocab_words) - n_missing,
        len(vocab_words),
        path,
        n_missing,
    )
    return matrix, n_missing


def apply_embeddings(model: nn.Module, matrix: np.ndarray, *, freeze: bool) -> None:
    """Copy ``matrix`` into ``model.embedding`` and freeze or unfreeze it.

    Parameters
    ----------
    model : Detector
        A detector whose word embedding is the :class:`torch.nn.Embedding` ``model.embedding``.
    matrix : array of shape (vocab_size, embedding_dim)
        From :func:`train_word2vec` or :func:`load_word_vectors`. Its PAD row is set to zero.
    freeze : bool
        True keeps the embedding fixed in training (``requires_grad=False``).

    Raises
    ------
    ModelError
        If the model has no ``embedding`` layer or the shapes differ.
    """
    embedding = getattr(model, "embedding", None)
    if not isinstance(embedding, nn.Embedding):
        raise ModelError(
            f"{type(model).__name__} has no nn.Embedding named 'embedding', so "
            "pre-trained vectors cannot be loaded into it"
        )
    matrix = np.asarray(matrix)
    if matrix.shape != tuple(embedding.weight.shape):
        raise ModelError(
            f"embedding matrix has shape {matrix.shape} but the model's embedding has "
            f"{tuple(embedding.weight.shape)} (vocabulary size, embedding_dim). Build the "
            "matrix with the model's vocabulary and embedding_dim"
        )

    with torch.no_grad():
        values = torch.as_tensor(matrix, dtype=embedding.weight.dtype)
        embedding.weight.copy_(values.to(embedding.weight.device))
        embedding.weight[PAD_ID] = 0.0
    embedding.weight.requires_grad_(not freeze)


def _import_word2vec() -> type:
    try:
        from gensim.models import Word2Vec
    except ImportError:
        raise DroidlensError(
            "training word embeddings needs gensim, which is not installed; "
            "run: pip install 'droidlens[embeddings]'"
        ) from None
    return Word2Vec  # type: ignore[no-any-return]


def _stable_hash(text: str) -> int:
    """Hash a string the same way in every process, unlike ``hash`` with PYTHONHASHSEED."""
    return zlib.crc32(text.encode("utf-8"))


def _matrix_from_vectors(
    vectors: dict[str, np.ndarray], vocab: Vocabulary, *, dim: int, seed: int
) -> tuple[np.ndarray, int]:
    """Place ``vectors`` in vocabulary order and draw the missing rows."""
    found = np.array(list(vectors.values()), dtype=np.float64).reshape(-1, dim)
    scale = float(found.std()) if found.size else 0.1
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, scale, size=(len(vocab), dim)).astype(np.float32)
    matrix[PAD_ID] = 0.0
    matrix[NULL_ID] = 0.0

    n_missing = 0
    for index in range(N_RESERVED, len(vocab)):
        vector = vectors.get(vocab.words[index])
        if vector is None:
            n_missing += 1
        else:
            matrix[index] = vector
    return matrix, n_missing


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _read_word2vec(
    stream: IO[bytes], vocab_words: set[str], *, dim: int, path: Path
) -> dict[str, np.ndarray]:
    """Return the vectors of the ``vocab_words`` words from a word2vec stream."""
    n_words, file_dim = _read_header(stream, path)
    if file_dim != dim:
        raise DataError(
            f"{path}: vectors have {file_dim} values but the model's embedding_dim is {dim}. "
            f"Use vectors of {dim} values or set embedding_dim to {file_dim}"
        )

    start = stream.tell()
    binary = not _first_record_is_text(stream, dim)
    stream.seek(start)
    read_record = _read_binary_record if binary else _read_text_record

    vectors: dict[str, np.ndarray] = {}
    for index in range(n_words):
        try:
            word, vector = read_record(stream, dim)
        except (ValueError, UnicodeDecodeError, EOFError) as error:
            raise DataError(
                f"{path}: invalid word vector record {index + 1} of {n_words} ({error})"
            ) from None
        if word in vocab_words and word not in vectors:
            vectors[word] = vector
    return vectors


def _read_header(stream: IO[bytes], path: Path) -> tuple[int, int]:
    line = stream.readline()
    fields = line.split()
    try:
        n_words, file_dim = (int(field) for field in fields)
    except ValueError:
        raise DataError(
            f"{path}: the first line must be 'n_words dim' as in word2vec files, got {line[:80]!r}"
        ) from None
    if n_words < 0 or file_dim < 1:
        raise DataError(f"{path}: invalid header, {n_words} words of {file_dim} values")
    return n_words, file_dim


def _first_record_is_text(stream: IO[bytes], dim: int) -> bool:
    """Return True when the next line parses as a text record of ``dim`` values."""
    # A binary file may contain no newline at all, so the line read is bounded.
    limit = 1024 + 64 * dim
    line = stream.readline(limit)
    try:
        _parse_text_record(line, dim)
    except (ValueError, UnicodeDecodeError, EOFError):
        return False
    return True


def _read_text_record(stream: IO[bytes], dim: int) -> tuple[str, np.ndarray]:
    return _parse_text_record(stream.readline(), dim)


def _parse_text_record(line: bytes, dim: int) -> tuple[str, np.ndarray]:
    if not line:
        raise EOFError("the file ends before the record")
    fields = line.decode("utf-8").rstrip("\r\n").split(" ")
    fields = [field for field in fields if field]
    if len(fields) != dim + 1:
        raise ValueError(f"expected a word and {dim} values, got {len(fields)} fields")
    return fields[0], np.array(fields[1:], dtype=np.float32)


def _read_binary_record(stream: IO[bytes], dim: int) -> tuple[str, np.ndarray]:
    word = bytearray()
    while True:
        char = stream.read(1)
        if not char:
            raise EOFError("the file ends inside a word")
        if char == b" ":
            break
        # A newline after the previous vector is allowed and not part of the word.
        if char != b"\n" or word:
            word += char
    data = stream.read(4 * dim)
    if len(data) != 4 * dim:
        raise EOFError("the file ends inside a vector")
    return word.decode("utf-8"), np.frombuffer(data, dtype="<f4").copy()
