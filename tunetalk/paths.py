"""Where tunetalk keeps its files, and the environment it runs in: read here, passed down as paths.

Nothing below the entry points (`tunetalk.cli`, the benchmarks) reads an environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "TUNETALK_HOME"  # indexes, ONNX exports, the interaction log (default ~/.cache/tunetalk)
LOG_ENV = "TUNETALK_LOG"  # the interaction log's path, or "off"
CHROMA_URL_ENV = "TUNETALK_CHROMA_URL"
BACKEND_ENV = "TUNETALK_ENCODER_BACKEND"
DATA_ENV = "TUNETALK_DATA"  # the public datasets (default ../shared/data beside the checkout)

REPO = Path(__file__).resolve().parents[1]


def home() -> Path:
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".cache" / "tunetalk")


def onnx_dir() -> Path:
    """Where ONNX exports of encoders are kept, one folder per weights hash."""
    return home() / "onnx"


def log_path() -> Path | None:
    """The chat's interaction log; None when $TUNETALK_LOG is "off"."""
    value = os.environ.get(LOG_ENV, "")
    if value == "off":
        return None
    return Path(value) if value else home() / "interactions.jsonl"


def data_dir() -> Path:
    return Path(os.environ.get(DATA_ENV) or REPO.parent / "shared" / "data")


def mc_test_csv() -> Path:
    """The LP-MusicCaps-MC test split (the paper's benchmark)."""
    return data_dir() / "lp-musiccaps-mc" / "test.csv"


def prepare_environment() -> None:
    """Offline and private by default: no model-hub calls, no telemetry, no tokenizer thread warnings.

    Called first by every entry point, before the libraries that read these are imported.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
