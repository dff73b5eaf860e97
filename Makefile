# Two entry points on a fresh machine (Python >= 3.11 with pip and venv):
#   make figures   install into .venv and run the main job on seeds/
#   make test      install into .venv and run the test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# BERTopic's documented light-weight install: its metadata requires
# sentence-transformers (and so torch), which the core toolkit does not need.
BERTOPIC := bertopic==0.17.4

export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: install test test-fast figures report clean-results

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dask]"
	$(PY) -m pip install --quiet --no-deps $(BERTOPIC)
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
