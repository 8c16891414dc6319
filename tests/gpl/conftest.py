"""GPL fixtures: a tiny random BERT (a dozen-word vocabulary, hidden size 8) saved once per session
as a sentence-transformers bi-encoder and as a one-logit cross-encoder, plus tiny records."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

WORDS = [
    "jazz",
    "piano",
    "rock",
    "guitar",
    "calm",
    "upbeat",
    "sad",
    "happy",
    "vocal",
    "drums",
    "song",
    "with",
    "steel",
    "folk",
    "metal",
    "synth",
    ",",
]


def _tiny_bert_dir(root: Path) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = BertTokenizerFast(
        vocab={token: index for index, token in enumerate(tokens)}, do_lower_case=True
    )
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    bert_dir = root / "bert"
    BertModel(config).save_pretrained(str(bert_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(bert_dir))
    return bert_dir


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers directory: tiny BERT + mean pooling + normalisation (safetensors)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    root = tmp_path_factory.mktemp("tiny-bert")
    transformer = Transformer(str(_tiny_bert_dir(root)), max_seq_length=32)
    model = SentenceTransformer(modules=[transformer, Pooling(8, "mean"), Normalize()], device="cpu")
    encoder_dir = root / "encoder"
    model.save(str(encoder_dir), safe_serialization=True)
    return encoder_dir


@pytest.fixture(scope="session")
def _tiny_cross_encoder(tiny_encoder_dir: Path):  # noqa: ANN202
    import torch
    from sentence_transformers.cross_encoder import CrossEncoder

    torch.manual_seed(0)
    return CrossEncoder(
        str(tiny_encoder_dir), num_labels=1, max_length=32, device="cpu", activation_fn=torch.nn.Identity()
    )


@pytest.fixture()
def tiny_cross_encoder(_tiny_cross_encoder):  # noqa: ANN001, ANN201
    """The tiny BERT with a one-logit head; a deep copy, so a test may train it."""
    return copy.deepcopy(_tiny_cross_encoder)


@pytest.fixture(scope="session")
def _tiny_student(tiny_encoder_dir: Path):  # noqa: ANN202
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_encoder_dir), device="cpu")


@pytest.fixture()
def tiny_student(_tiny_student):  # noqa: ANN001, ANN201
    """The tiny bi-encoder; a deep copy, so a test may train it."""
    return copy.deepcopy(_tiny_student)


@pytest.fixture()
def tiny_catalogue(tmp_path: Path, tracks) -> Path:  # noqa: ANN001
    """The ten test tracks as a JSONL catalogue file."""
    from tests.conftest import write_catalogue

    return write_catalogue(tmp_path / "catalogue.jsonl", tracks)


def tiny_run_config(tmp_path: Path, encoder_dir: Path, catalogue: Path, tracks, *, num_sessions: int,  # noqa: ANN001
                    **overrides):  # noqa: ANN003, ANN201 - a GPLConfig
    """A GPL run small enough for a test: a simulated log, the tiny encoder as student and teacher."""
    from gpl import GPLConfig, MiningConfig, QueryConfig, TeacherConfig, TrainConfig, simulate_sessions
    from retriever import InteractionLog

    log = InteractionLog(tmp_path / "interactions.jsonl")
    for record in simulate_sessions(tracks, num_sessions=num_sessions, seed=3):
        log.append(record)
    settings = dict(
        catalogue=catalogue,
        run_dir=tmp_path / "runs" / "tiny",
        log=log.path,
        encoder=str(encoder_dir),
        teacher_base=str(encoder_dir),
        index_dir=tmp_path / "index",
        show_progress_bar=False,
        queries=QueryConfig(templates_per_track=2, heldout_fraction=0.5),
        mining=MiningConfig(candidates_per_retriever=6, num_negatives=2),
        teacher_training=TeacherConfig(max_queries=20, batch_size=8),
        training=TrainConfig(max_steps=2, batch_size=4),
    )
    return GPLConfig(**{**settings, **overrides})
