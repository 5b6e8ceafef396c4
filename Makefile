# darkroom: `make run-all` executes every notebook and builds the book, `make test` runs the tests.
# Both create .venv and install everything on first use; nothing else is needed but Python 3.11.

PYTHON  ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV    ?= .venv
PROFILE ?= default
FORCE   ?=
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.darkroom-installed

.PHONY: help install run-all book test lint format lab tensorboard bench models clean distclean

help:
	@echo "make run-all [PROFILE=smoke|default|full]  execute the notebooks whose code, profile, library or packages"
	@echo "             [FORCE=1]                     changed (FORCE=1: every one) into outputs/, then build the book"
	@echo "make book                                  outputs/book/index.html from the executed notebooks (no re-run)"
	@echo "make test                                  unit tests + every notebook in the smoke profile"
	@echo "make lint | format                         ruff check and ruff format --check | apply ruff's fixes and format"
	@echo "make lab                                   JupyterLab on the 'darkroom' kernel"
	@echo "make tensorboard                           TensorBoard over outputs/logs (training.fit(log_dir=...) runs)"
	@echo "make models                                retrain the shipped x2/x3/x4 upscalers (lib/darkroom/superres/weights/; minutes)"
	@echo "make bench                                 every benchmarks/bench_*.py (ratios, printed; tens of minutes)"
	@echo "make clean | distclean                     remove outputs/ | and .venv"

install: $(STAMP)

# Re-install when the dependencies change; register the kernel inside the venv (--sys-prefix)
# so that papermill and `make lab` find it without touching the user's home.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,book]"
	$(BIN)/python -m ipykernel install --sys-prefix --name darkroom --display-name "Python (darkroom)"
	touch $@

# The runner builds the book at its end (outputs/book/), even when a notebook failed. It re-executes
# only the notebooks whose inputs changed (outputs/cache/ says why); FORCE=1 executes them all.
run-all: $(STAMP)
	$(BIN)/python -m darkroom.app.runner --profile $(PROFILE) $(if $(filter 1 yes true,$(FORCE)),--force)

book: $(STAMP)
	$(BIN)/python -m darkroom.app.book

# Every test on both cores (pytest-xdist). A smoke-profile notebook keeps about one core busy (its
# small models are mostly tracing), so two run side by side; tests/conftest.py starts the long ones
# first and idle workers steal what is left.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal --durations=30

# The rules and their reasons are in pyproject.toml ([tool.ruff]); notebooks are checked too.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Python files only: ruff would rewrite a notebook's JSON layout (cell ids, line lists).
format: $(STAMP)
	$(BIN)/ruff check --fix --extend-exclude '*.ipynb' .
	$(BIN)/ruff format .

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

# TensorBoard ships with tensorflow; every training.fit(log_dir="<run>") writes to outputs/logs/<run>.
tensorboard: $(STAMP)
	$(BIN)/tensorboard --logdir outputs/logs

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Fixed seeds, the bundled photos' train split only; prints each model's size and training time and
# the held-out PSNR table against nearest, bilinear and bicubic. About 2.5 minutes on a 2-core CPU.
models: $(STAMP)
	$(BIN)/python -m darkroom models --train

clean:
	rm -rf outputs

distclean: clean
	rm -rf $(VENV) lib/*.egg-info
