# Two entry points: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# Pin torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[apk,embeddings,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/droidlens demo --out demo-run

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src

# Benchmarks rewrite benchmarks/results/*.md; see benchmarks/README.md for each script.
bench: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_solvers.py
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_explain.py --threads 1
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_compare.py
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_lemna.py --threads 1
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/bench_models.py --threads 1

clean:
	rm -rf $(VENV) demo-run .pytest_cache
