# Two entry points on a fresh machine (Python >= 3.11 with pip and venv):
#   make figures   install into .venv and run the main job on seeds/
#   make test      install into .venv and run the test suite
#   make lock      regenerate the lock from pyproject.toml (UPGRADE=1: newest versions)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# The exact versions, with hashes, that .venv is installed from. It is package
# data, so that an installed coopthemes compares its environment with it.
LOCK   := analysis/coopthemes/requirements.lock
# BERTopic's documented light-weight install: its metadata requires
# sentence-transformers (and so torch), which the core toolkit does not need.
# It is locked with the rest, and the lock is installed without dependencies.
BERTOPIC := bertopic==0.17.4
# The lock is resolved by uv, in a venv of its own (never in .venv), for every
# platform and for Python from LOCK_PYTHON on.
UV_VERSION  := 0.13.9
UV          := .cache/uv/bin/uv
LOCK_PYTHON := 3.11.5
UV_COMPILE  := $(UV) pip compile --quiet --universal --python-version $(LOCK_PYTHON) --generate-hashes --no-header

export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: install test test-fast figures report clean-results lock

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-deps --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(VENV)/.installed

test: install
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not integration"

figures: install
	$(VENV)/bin/coopthemes run --corpus seeds --out figures

report: install
	$(VENV)/bin/coopthemes report figures/results --out figures

clean-results:
	rm -rf figures/results .cache/embeddings

$(UV):
	$(PYTHON) -m venv .cache/uv
	.cache/uv/bin/python -m pip install --quiet uv==$(UV_VERSION)

# pyproject.toml's dependencies with the test and dask extras, then BERTopic
# alone; the versions of the current lock are kept where they still fit.
lock: $(UV)
	@mkdir -p .cache/lock
	@if [ -f $(LOCK) ]; then cp $(LOCK) .cache/lock/core.txt; fi
	$(UV_COMPILE) $(if $(UPGRADE),--upgrade) pyproject.toml --extra test --extra dask -o .cache/lock/core.txt
	@echo "$(BERTOPIC)" > .cache/lock/bertopic.in
	$(UV_COMPILE) --no-deps --no-annotate .cache/lock/bertopic.in -o .cache/lock/bertopic.txt
	@{ echo "# Exact versions, with hashes, of what make install puts in .venv: coopthemes' dependencies"; \
	   echo "# (extras test and dask) for every platform and Python >= $(LOCK_PYTHON), then BERTopic."; \
	   echo "# Installed with: pip install --no-deps --require-hashes -r $(LOCK)"; \
	   echo "# Regenerated with: make lock (UPGRADE=1 for the newest versions); do not edit by hand."; \
	   cat .cache/lock/core.txt; \
	   echo "# BERTopic without its dependencies (they would pull sentence-transformers and torch)"; \
	   cat .cache/lock/bertopic.txt; } > $(LOCK)
	@echo "wrote $(LOCK)"
