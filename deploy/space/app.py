"""Hugging Face Space entry point: the chat on the built-in catalogue, no interaction log."""

from __future__ import annotations

import sys

from tunetalk.cli import main

if __name__ == "__main__":
    sys.exit(main(["chat", "--host", "0.0.0.0", "--port", "7860", "--no-log"]))
