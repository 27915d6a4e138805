# Labbet: `make run` serves the demo workshop; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed
PROD_STAMP := $(VENV)/.installed-prod
LOCK   := requirements.lock
# As labbet/services.py's daphne_args(): a listen queue for a join storm, heartbeats. The server
# runs as `python -m live.serve` (daphne's own command line, after what only a server sets).
DAPHNE_ARGS = -e tcp:port=$(PORT):interface=$(HOST):backlog=2048 --websocket_connect_timeout 30 \
	--ping-interval 15 --ping-timeout 30 labbet.asgi:application

.PHONY: run serve test test-postgres lint format bench messages clean setup install lock system-deps

# Development and tests: the runtime dependencies and the dev extra (pytest, Playwright, ruff).
setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# The demo, one process, SQLite and the in-memory channel layer; DEBUG on for local use.
run: export DEBUG ?= 1
run: setup
	@$(BIN)/python manage.py preflight --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py demo --with-contributions --base-url http://$(HOST):$(PORT)
	@echo "  Console:           http://$(HOST):$(PORT)/w/STAD26/console/"
	@echo "  Health:            http://$(HOST):$(PORT)/healthz"
	@echo "  (phones on the venue wifi: HOST=0.0.0.0 ALLOWED_HOSTS=<this machine's address> make run)"
	@echo "Serving on http://$(HOST):$(PORT)/ — Ctrl-C stops."
	$(BIN)/python -m live.serve $(DAPHNE_ARGS)

# Production: exactly the runtime set pinned in requirements.lock, every file checked against
# its hash; no development tools. The systemd units run what this installs.
install: $(PROD_STAMP)

$(PROD_STAMP): $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	@touch $@

# After a change to pyproject.toml's dependencies: one command, then commit requirements.lock
# (tests/test_lock.py fails while it is stale).
lock: setup
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

# Serve without the demo, as in production (DEBUG off; SECRET_KEY must be set).
serve: install
	@$(BIN)/python manage.py preflight --host $(HOST) --port $(PORT)
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python -m live.serve $(DAPHNE_ARGS)

system-deps:
	@bash scripts/system-deps.sh

test: setup system-deps
	DJANGO_SETTINGS_MODULE=labbet.settings_test $(BIN)/python manage.py makemigrations --check --dry-run -v1
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite again on a PostgreSQL server started for the run: every test that touches the
# database from the test process. The browser tests drive a daphne server and ran in `make
# test`; the ones that matter on PostgreSQL (faults, scale-out) start PostgreSQL there anyway.
test-postgres: setup system-deps
	$(BIN)/python scripts/with_postgres.py $(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: setup
	$(BIN)/python manage.py makemessages -l sv -l en --no-obsolete --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

# The acceptance runs (1,000 and 2,000 phones, each against the raw server too); other modes:
# BENCH_ARGS="--processes 2 --phones 2000", BENCH_ARGS="--soak 600" (see README, Benchmark).
BENCH_ARGS ?= --phones 1000,2000 --seconds 60 --with-raw
bench: setup system-deps
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
