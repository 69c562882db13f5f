# portal-archive: `make demo` archives the bundled replica portal and serves it in Datasette;
# `make test` runs the whole suite. Both set up the virtualenv first when needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	@command -v wget >/dev/null || (apt-get update -qq && apt-get install -y -qq wget)

demo: setup
	$(PY) -m tests.demo

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not e2e"

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) -m tests.bench

clean:
	rm -rf data/demo build *.egg-info .pytest_cache
