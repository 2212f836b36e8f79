# Two commands on a fresh machine with Python 3.11 and make: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The benchmarks time the one-day run this many times from the same state (median and range).
BENCH_REPEAT ?= 3

.PHONY: install manifest demo run test test-fast imports lint dev docs dashboards bench bench-s bench-m bench-l clean

$(INSTALLED): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (found %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(INSTALLED)

# dagster-dbt reads dbt's manifest when the definitions load: parse the project whenever its
# files changed since the last parse (added, edited, deleted or renamed: the manifest carries a
# fingerprint of the project's paths and contents; orchestration/lib/dbt_manifest.py).
manifest: $(INSTALLED)
	$(BIN)/python -m orchestration.lib.dbt_manifest

install: manifest  ## the virtual environment and dbt's manifest, running nothing (a server's install)

demo: manifest  ## demo key, demo CRM, one nightly run, then the dashboards on http://localhost:8501
	$(BIN)/mgreen demo

run: manifest  ## the nightly job once, on the configured source
	$(BIN)/mgreen run

# One worker per core (pytest-xdist); a test module stays on one worker, so its module-scoped
# fixtures (a history of nights, a served dashboard) are built once.
PARALLEL := -n auto --dist loadscope

test: manifest imports  ## the whole test suite (unit, definitions, end-to-end, PostgreSQL, browser)
	$(BIN)/pytest -q $(PARALLEL)

test-fast: manifest imports  ## without the end-to-end, PostgreSQL and browser tiers
	$(BIN)/pytest -q $(PARALLEL) -m "not e2e and not postgres and not browser"

imports: $(INSTALLED)  ## the packages' layers (import-linter contracts in pyproject.toml)
	$(BIN)/lint-imports --no-cache

lint: imports
	$(BIN)/ruff check orchestration dashboards expectations synthetic_crm disclosure tests benchmarks
	$(BIN)/ruff format --check orchestration dashboards expectations synthetic_crm disclosure tests benchmarks

dev: manifest  ## Dagster's UI (asset graph, checks, schedule) with the same configuration
	$(BIN)/mgreen dev

# No key and no data: an empty throw-away warehouse and a throw-away key (orchestration/lib/dbt_docs.py).
docs: $(INSTALLED)  ## dbt's documentation site (descriptions, tests, lineage to the pages) in data/docs/site
	$(BIN)/python -m orchestration.lib.dbt_docs

dashboards: $(INSTALLED)
	$(BIN)/mgreen dashboards

bench-s bench-m bench-l: manifest
	$(BIN)/python benchmarks/nightly.py --tier $(subst bench-,,$@) --repeat $(BENCH_REPEAT)

bench: bench-s bench-m bench-l

clean:
	rm -rf data dbt_project/target dbt_project/logs
