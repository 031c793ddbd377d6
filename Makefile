# KPAS platform API. `make run` and `make test` are all the set-up a bare machine needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
SOURCES := app tests bench migrations
# Test processes (pytest-xdist): one per core by default; each builds its own databases.
TEST_WORKERS ?= auto

export KPAS_DATABASE_URL ?= sqlite+aiosqlite:///var/kpas.db

.PHONY: install run test lint format openapi migrate seed bench load resilience lock clean

install: $(STAMP)

$(STAMP): requirements-dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# `kpas run-local` checks the API and fake Notify ports before starting anything, says where to
# go once the API answers, and stops all three processes when one of them stops.
run: install migrate seed  ## serve on 127.0.0.1:8000 with demo data (SQLite at var/kpas.db), the fake Notify and the outbox worker
	@$(BIN)/kpas run-local

migrate: install
	@mkdir -p var
	$(BIN)/kpas migrate

seed: install
	$(BIN)/kpas seed-demo

test: install lint  ## lint, type-check, then the whole suite (SQLite; PostgreSQL too when KPAS_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/mypy
	$(BIN)/kpas openapi --check

format: install
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

openapi: install  ## regenerate openapi/openapi.json from the app
	$(BIN)/kpas openapi

resilience: install  ## the slow proofs: many processes on one PostgreSQL, faults that take seconds (needs KPAS_TEST_POSTGRES_URL)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m resilience

# PostgreSQL for the benchmarks: the local development server unless KPAS_BENCH_POSTGRES_URL
# names another (set it empty for SQLite alone; the report then says PostgreSQL did not run).
bench: export KPAS_BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench: install  ## run the benchmarks at the quick size (BENCH=--full for the published figures; WORKLOADS="a b" for some) and update docs/benchmarks.md
	$(BIN)/python -m bench $(BENCH) $(WORKLOADS)

load: install  ## load-test the real service on PostgreSQL (LOAD="--quick", etc.) and write docs/load.md (needs KPAS_BENCH_POSTGRES_URL or KPAS_TEST_POSTGRES_URL)
	$(BIN)/python -m bench.load $(LOAD)

lock:  ## re-resolve the lock files after changing dependencies in pyproject.toml
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 --generate-hashes -o requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
