# The README's commands. Everything installs into .venv from nothing (CI runs `make test`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install browser test test-fast demo bench lint clean

# torch first, pinned: the local CPU build. A plain `torch` would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[models,dev,ray]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium renders report.html in the browser test (skipped, with a reason, without it);
# the Thai font makes Thai quotes readable in its screenshot.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-thai-tlwg-ttf) >/dev/null 2>&1 \
	  || echo "note: could not install chromium; the browser test will be skipped"; }

## make test: every test, the real-model ones (marked `models`) included
test: install browser
	$(BIN)/python -m pytest -q

## make test-fast: the fast offline tests only
test-fast: install
	$(BIN)/python -m pytest -q -m "not models"

## make demo: analyse the bundled multilingual sample export into out/demo
demo: install
	$(BIN)/feedback-nlp demo -o out/demo

## make bench: end-to-end speed, memory and cache re-runs on synthetic 10k/100k exports, and the
## naive baseline side by side; prints the table and writes docs/benchmarks.md (BENCH_ARGS="--sizes 2000,10000")
BENCH_ARGS ?=
bench: install
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check feedback_nlp tests scripts

clean:
	rm -rf out build dist *.egg-info .pytest_cache
