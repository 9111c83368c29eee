"""Question vectors in NumPy (rag.bert_numpy) against sentence-transformers on the same weights."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.bert_numpy import NumpyBert, _erf, supported
from tests.conftest import m3e_folder

QUESTIONS = ["2019年龙岗区百人以上企业建会率达到多少？", "深化新時代浙江產業工人隊伍建設改革工作推進會在哪裡召開？",
             "罗湖区建成了多少家四级职工服务阵地？", "Which year? 2019 年", "会" * 700]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT with m3e-small's tokenizer, saved as safetensors."""
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny_bert")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=21128, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=512)
    BertModel(config).save_pretrained(folder, safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(m3e_folder() / name, folder / name)
    return folder


def test_same_vectors_as_sentence_transformers(tiny_bert: Path, tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_bert), device="cpu")
    model.max_seq_length = 512
    ref = model.encode(QUESTIONS, normalize_embeddings=True)
    ours = NumpyBert.load(tiny_bert, tmp_path / "cache")
    assert ours is not None
    got = ours.encode(QUESTIONS)
    assert got.shape == ref.shape and got.dtype == np.float32
    assert np.abs(got - ref).max() < 1e-5
    again = NumpyBert.load(tiny_bert, tmp_path / "cache")  # now from the converted arrays
    assert again is not None and np.array_equal(again.encode(QUESTIONS), got)
    assert len(list((tmp_path / "cache").glob("*/*.npy"))) == len(json.loads(
        next((tmp_path / "cache").glob("*/index.json")).read_text()))


def test_only_plain_mean_pooled_bert_folders_are_taken(tiny_bert: Path, tmp_path: Path) -> None:
    assert supported(tiny_bert) is not None
    other = tmp_path / "other"
    shutil.copytree(tiny_bert, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "model_type": "xlm-roberta"}))
    assert supported(other) is None and NumpyBert.load(other, tmp_path / "c") is None
    (other / "config.json").write_text(json.dumps(config))
    (other / "1_Pooling").mkdir()
    (other / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True,
                                                                 "pooling_mode_mean_tokens": False}))
    (other / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    assert supported(other) is None  # CLS pooling: sentence-transformers does it
    (other / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert supported(other) is not None
    (other / "tokenizer.json").unlink()
    assert supported(other) is None


def test_the_encoder_answers_questions_without_loading_sentence_transformers(tiny_bert: Path,
                                                                              tmp_path: Path) -> None:
    from rag.encoders import SentenceTransformerEncoder

    enc = SentenceTransformerEncoder(tiny_bert, query_cache=tmp_path / "cache")
    vecs = enc.encode_queries(QUESTIONS[:2])
    assert vecs.shape == (2, 64) and not enc.loaded
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    off = SentenceTransformerEncoder(tiny_bert)  # no cache folder: the library, as before
    # float32 kernels differ by CPU (torch vs NumPy BLAS): 4e-5 seen on one machine; a wrong layer is >1e-2
    np.testing.assert_allclose(off.encode_queries(QUESTIONS[:2]), vecs, atol=2e-4)
    assert off.loaded


def test_erf_approximation() -> None:
    xs = np.linspace(-6, 6, 2001)
    assert max(abs(float(a) - math.erf(float(x))) for a, x in zip(_erf(xs), xs, strict=True)) < 2e-7
