# portal-archive: `make demo` archives the bundled replica portal and serves it in Datasette;
# `make test` runs the whole suite. Both set up the virtualenv first when needed.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test test-fast lint bench eval clean faults fuzz

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	@command -v wget >/dev/null || (apt-get update -qq && apt-get install -y -qq wget)
	@# headless Chromium + its WebDriver for tests/test_browser_*.py (Debian packages)
	@(command -v chromium && command -v chromedriver) >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)

# pywb (tests/test_pywb.py) gets its own virtualenv: in ours it would downgrade cryptography
# and pyOpenSSL under Scrapy.
PYWB_STAMP := .venv-pywb/.installed-stamp
$(PYWB_STAMP): tests/requirements-pywb.txt
	test -x .venv-pywb/bin/python || $(PYTHON) -m venv .venv-pywb
	.venv-pywb/bin/pip install -q -r tests/requirements-pywb.txt
	touch $(PYWB_STAMP)

setup: $(PYWB_STAMP)

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

# per-family, per-field accuracy of our extractor and of trafilatura on the gold set
eval: setup
	$(PY) -m tests.eval

# the hostile-web suite (fault replica, traps, write errors, private hosts, robots.txt
# changes, SIGKILLs, fuzzing), then one crawl of the fault replica reported as a table
# (tests/faults_report.py), which fails when any response was lost
FAULT_TESTS := tests/test_faults_e2e.py tests/test_traps.py tests/test_fuzz_extract.py \
	tests/test_fuzz_atheris.py tests/test_write_errors.py tests/test_failure_rows.py \
	tests/test_private_hosts.py tests/test_robots_change.py tests/test_kill_resume.py \
	tests/test_faults_report.py
faults: setup
	$(PY) -m pytest -v $(FAULT_TESTS)
	$(PY) -m tests.faults_report

# property tests over extraction and dates with a large example budget (FUZZ_EXAMPLES), then
# coverage-guided fuzzing with atheris for FUZZ_SECONDS (crashing inputs in artifacts/fuzz/)
fuzz: setup
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-5000} $(PY) -m pytest -q tests/test_fuzz_extract.py
	mkdir -p artifacts/fuzz
	$(PY) -m tests.fuzz_atheris -max_total_time=$${FUZZ_SECONDS:-300} -max_len=4096 \
		-len_control=0 -print_final_stats=1 -artifact_prefix=artifacts/fuzz/

clean:
	rm -rf data/demo build *.egg-info .pytest_cache
