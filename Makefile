# iamlab: `make run` serves the console and API on http://127.0.0.1:8000, `make test` runs
# the whole suite. Both set themselves up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
# Python threads per worker: a slow client holds one for its whole upload or download.
THREADS ?= 2
# An access log costs CPU on every request (granian's about 0.025 ms, gunicorn's was
# 0.07-0.15 ms, of an API call's budget of 0.5 ms); every API call is in the CloudTrail
# event history anyway. `make run ACCESS_LOG=1` prints it.
ACCESS_LOG ?=
# Each worker is kept on a CPU of its own (console/affinity.py); `make run SHARE_CPUS=1`
# lets every worker run on any CPU.
SHARE_CPUS ?=
# How `make run` serves (granian, through console/serve.py), and so how `make bench` measures.
SERVER_ARGS = --workers $(WORKERS) --threads $(THREADS) $(if $(SHARE_CPUS),--share-cpus) $(if $(ACCESS_LOG),--access-log)
MOTO_VENV := bench/.venv-moto

.PHONY: install run test test-fast migrate clean bench

install: $(STAMP)

# Re-installs only when pyproject.toml changes, so repeated runs take no time.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demoaccount --url http://$(HOST):$(PORT)
	$(BIN)/python -m console.serve --bind $(HOST):$(PORT) $(SERVER_ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# iamlab and moto's server side by side (bench/run.py): moto in its own venv, never a
# dependency of the project; wrk from Debian replays the signed requests.
$(MOTO_VENV)/.installed:
	test -x $(MOTO_VENV)/bin/python || $(PYTHON) -m venv $(MOTO_VENV)
	$(MOTO_VENV)/bin/python -m pip install --quiet 'moto[server]'
	touch $@

bench: install $(MOTO_VENV)/.installed
	command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	SERVER_ARGS='$(SERVER_ARGS)' $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
