"""Encoding apps into padded integer arrays."""

from __future__ import annotations

import numpy as np
import pytest

from droidlens.data.encode import encode_apps, nullify
from droidlens.data.records import App
from droidlens.data.tokenize import TokenizerConfig
from droidlens.data.vocab import NULL_ID, PAD_ID, UNK_ID, Vocabulary

A = "Lpkg/A;->run"
B = "Lpkg/deep/B;->stop"


@pytest.fixture
def vocab() -> Vocabulary:
    return Vocabulary(
        ["pkg", "a", "run", "deep", "b", "stop"],
        tokenizer=TokenizerConfig(max_words=4, max_calls=3),
    )


def test_encode_shapes_and_padding(vocab: Vocabulary) -> None:
    encoded = encode_apps([App("x", 1, [A, B]), App("y", 0, [B])], vocab)
    assert encoded.tokens.shape == (2, 2, 4)
    assert encoded.tokens.dtype == np.int32
    assert encoded.tokens[0].tolist() == [[3, 4, 5, PAD_ID], [3, 6, 7, 8]]
    assert encoded.tokens[1].tolist() == [[3, 6, 7, 8], [PAD_ID] * 4]
    assert encoded.ids == ["x", "y"]
    assert encoded.labels.tolist() == [1, 0]


def test_encode_max_calls_keeps_first(vocab: Vocabulary) -> None:
    encoded = encode_apps([App("x", 1, [A, A, A, B, B])], vocab)
    assert encoded.seq_len.tolist() == [3]
    assert encoded.n_calls.tolist() == [5]
    assert encoded.tokens.shape[1] == 3
    assert (encoded.tokens[0, :, 1] == 4).all()


def test_encode_unknown_words(vocab: Vocabulary) -> None:
    encoded = encode_apps([App("x", 1, ["Lpkg/C;->jump"])], vocab)
    assert encoded.tokens[0, 0].tolist() == [3, UNK_ID, UNK_ID, PAD_ID]


def test_encode_empty_app(vocab: Vocabulary) -> None:
    encoded = encode_apps([App("x", -1, [])], vocab)
    assert encoded.tokens.shape == (1, 1, 4)
    assert encoded.seq_len.tolist() == [0]
    assert (encoded.tokens == PAD_ID).all()


def test_encode_no_apps(vocab: Vocabulary) -> None:
    encoded = encode_apps([], vocab)
    assert len(encoded) == 0
    assert encoded.tokens.shape == (0, 1, 4)


def test_encoded_subset_trims_width(vocab: Vocabulary) -> None:
    encoded = encode_apps([App("x", 1, [A, B, A]), App("y", 0, [B])], vocab)
    part = encoded.subset([1])
    assert part.ids == ["y"]
    assert part.tokens.shape == (1, 1, 4)
    assert encoded.app_tokens(0).shape == (3, 4)
    assert encoded.app_tokens(1).shape == (1, 4)


def test_nullify_copies(vocab: Vocabulary) -> None:
    tokens = encode_apps([App("x", 1, [A, B, A])], vocab).app_tokens(0)
    result = nullify(tokens, [0, 2])
    assert (result[[0, 2]] == NULL_ID).all()
    np.testing.assert_array_equal(result[1], tokens[1])
    assert tokens[0, 0] == 3
