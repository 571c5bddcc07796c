# Two commands for a fresh machine:  `make run`  and  `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MO     := translations/en/LC_MESSAGES/messages.mo
export FLASK_APP := wsgi

.PHONY: run test check lint format translations extract-messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(MO): $(STAMP) translations/en/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile --use-fuzzy -d translations

translations: $(MO)

## Serve the embedded default (SQLite in instance/, demo data) on http://127.0.0.1:5000
run: $(STAMP) $(MO)
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed --if-empty
	RUN_SCHEDULER=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

## The test suite: SQLite; PostgreSQL on TEST_DATABASE_URL, else on a scratch database
## (kb_make_test) when a server answers on 127.0.0.1:5432; the browser tests with Chromium
test: $(STAMP) $(MO)
	@url="$${TEST_DATABASE_URL:-$$($(BIN)/python tools/scratch_db.py)}"; \
	TEST_DATABASE_URL="$$url" $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: lint test

## Re-extract translatable strings and merge them into the English catalogue
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k N_ -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

bench: $(STAMP)
	$(BIN)/python -m bench.booking
	$(BIN)/python -m bench.jobs
	$(BIN)/python -m bench.feeds
	@# Over HTTP and the scaling curve need PostgreSQL (scratch databases, wiped).
	@if pg_isready -q -h 127.0.0.1 -p 5432; then \
	  $(BIN)/pip install --quiet -e ".[bench]" && \
	  for db in kb_bench_load kb_bench_scale; do \
	    psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname = '$$db'" | grep -q 1 \
	      || psql -h 127.0.0.1 -U postgres -qc "create database $$db"; done && \
	  $(BIN)/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/kb_bench_load && \
	  $(BIN)/python -m bench.scaling --postgres postgresql://postgres@127.0.0.1:5432/kb_bench_scale; \
	else echo "bench.load, bench.scaling: skipped (no PostgreSQL on 127.0.0.1:5432)"; fi

clean:
	rm -rf $(VENV) $(MO) .pytest_cache .ruff_cache
