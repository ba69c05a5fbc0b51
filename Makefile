# Two commands on a fresh machine: `make up` and `make test`. Needs python3.11 (or python3 at 3.11).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test bench lint schema install lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Mirabelle needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP)

up: $(STAMP)
	$(BIN)/mirabelle up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mirabelle schema export --check

# The suite runs on pytest-xdist workers, each with its own databases (tests/conftest.py): the tests
# mostly wait on the databases and subprocesses, so one worker more than the cores keeps the cores
# busy. The real-browser journeys run after it, one at a time (E2E_WORKERS=0: in this process).
# Each starts its own console, worker and browser on free ports, so `E2E_WORKERS=2` runs two at once
# (7 min instead of 13 here), but on a 2-core machine a click then lands now and again while its page
# redraws, and is lost. Both parts always run; make fails if either did.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)) + 1)')
E2E_WORKERS  ?= 0

test: lint
	@test -x /usr/bin/chromium || echo "NOTE: /usr/bin/chromium is not installed: the real-browser journeys will be skipped (apt-get install chromium)."
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not e2e" || status=$$?; \
	$(BIN)/pytest tests/e2e -m e2e -n $(E2E_WORKERS) || status=$$?; \
	exit $$status

bench: $(STAMP)
	$(BIN)/pytest tests/bench -p no:cacheprovider -s -q -o addopts=""

schema: $(STAMP)
	$(BIN)/mirabelle schema export

# Re-pin dependencies after editing pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install --quiet uv && $(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache
