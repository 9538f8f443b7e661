# The front door. `make demo` and `make test` work on a fresh machine with Python 3.11, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: env demo test test-quick lint fmt openapi golden native bench serve worker clean

env: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Run the demo on the embedded default (SQLite under var/, jobs inline), then serve the API.
demo: env
	$(BIN)/gateway demo

## The whole suite: SQLite and inline jobs always; PostgreSQL and Redis when reachable (required under CI=true).
test: env
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

## Only the quick path (SQLite, inline jobs).
test-quick: env
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not postgres and not redis and not slow"

lint: env
	$(BIN)/ruff format --check gateway tests bench
	$(BIN)/ruff check gateway tests bench
	$(BIN)/mypy gateway tests bench
	$(BIN)/lint-imports

fmt: env
	$(BIN)/ruff format gateway tests bench
	$(BIN)/ruff check --fix gateway tests bench

## Regenerate the committed OpenAPI document and the events JSON Schema.
openapi: env
	$(BIN)/gateway openapi --write

## Rewrite the expected outputs of the map cases in edi_maps/**.cases/.
golden: env
	$(BIN)/pytest tests/mapping -p no:cacheprovider --update-golden

## Optional: compile the hot modules with mypyc (needs a C compiler); everything also runs without it.
native: env
	$(BIN)/gateway native build

## Throughput and peak memory of the codec and `gateway translate` (compiled build when a C compiler exists).
bench: env
	$(BIN)/python -m pip install --quiet pyx12 psutil TigerShark
	if command -v cc >/dev/null 2>&1; then $(BIN)/gateway native build; else $(BIN)/gateway native status; fi
	$(BIN)/python -m bench --size-mb 20 --big-mb 100

serve: env
	$(BIN)/gateway serve

worker: env
	$(BIN)/gateway worker

clean:
	find gateway -name '*.so' -delete
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache gateway/native.json
