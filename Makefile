# Two entry points, each doing all the set-up it needs on a fresh machine:
#   make chat   - install, then start the chat on the built-in catalogue (http://127.0.0.1:7860)
#   make test   - install (with test tools and headless Chromium), then run the whole test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: chat test install browser

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: 2.13.0 is the CPU wheel; an open range pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && \
		[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
		fonts-noto-color-emoji)

chat: install
	$(BIN)/tunetalk chat

test: install browser
	$(BIN)/python -m pytest -m "e2e or not e2e" -q
