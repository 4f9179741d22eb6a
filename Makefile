# Airlock — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint typecheck tools pytest serve demo clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Airlock needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24'
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Workers for pytest-xdist. Four on the 2-core machine: a test waits on its servers, builds
# and model processes as much as it computes (the SageMaker and CodePipeline tests: 331 s on
# two workers, 258 s on four).
PYTEST_WORKERS ?= 4

# The console's browser tests drive Debian's Chromium (AIRLOCK_CHROMIUM names another);
# the CodeCommit and CodeBuild tests run git.
CHROMIUM ?= $(or $(AIRLOCK_CHROMIUM),$(shell command -v chromium 2>/dev/null))

tools:
	@test -n "$(CHROMIUM)" && test -x "$(CHROMIUM)" || { \
	  echo "The console's browser tests need Chromium: install Debian's chromium: apt-get install chromium" >&2; \
	  echo "(or set AIRLOCK_CHROMIUM to a Chromium executable)" >&2; exit 1; }
	@command -v git >/dev/null 2>&1 || { \
	  echo "The CodeCommit and CodeBuild tests need git: apt-get install git" >&2; exit 1; }

pytest: $(STAMP) tools
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck pytest

serve: $(STAMP)
	$(BIN)/airlock server

# The whole story on a fresh state dir (.airlock-demo, removed first); DEMO_FLAGS=--keep to
# explore, DEMO_FLAGS=--stop-at-approval to give the production approval yourself.
demo: $(STAMP)
	rm -rf .airlock-demo
	$(BIN)/airlock demo --state-dir .airlock-demo $(DEMO_FLAGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
