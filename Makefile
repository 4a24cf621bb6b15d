# The two commands of the README: `make run` serves the shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint bench-help worker clean translations messages lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime packages come from the lock file (exact versions, checked hashes), as in the Docker image.
$(VENV)/.runtime: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.dev: requirements.lock requirements-dev.txt | $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## run: install, migrate, seed demo data the first time, serve http://127.0.0.1:5000 (SQLite, jobs in-process)
run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	@mkdir -p instance
	@if [ ! -f instance/.demo-seeded ]; then $(FLASK) seed-demo && touch instance/.demo-seeded; fi
	$(FLASK) run --host 127.0.0.1 --port 5000

## test: install dev requirements and run every test (SQLite + PostgreSQL + Redis + Chromium when present)
test: $(VENV)/.dev translations
	$(BIN)/pytest -n 2

lint: $(VENV)/.dev
	$(BIN)/ruff check storefront tests bench migrations/env.py config.py wsgi.py

## worker: run background jobs from Redis (needs REDIS_URL)
worker: $(VENV)/.runtime
	$(FLASK) worker

## translations: compile the catalogs (storefront/translations/*/LC_MESSAGES/messages.po → .mo)
translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -d storefront/translations

## messages: collect every marked string from the code and templates into the catalogs (then translate the .po)
messages: $(VENV)/.runtime
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l --no-location -o storefront/translations/messages.pot .
	$(BIN)/pybabel -q update --width 120 -i storefront/translations/messages.pot -d storefront/translations

## lock: pin requirements.txt (and everything it pulls in) with hashes into requirements.lock
lock:
	PYTHON=$(PYTHON) sh docker/lock.sh

clean:
	rm -rf $(VENV) instance/storefront.db* instance/.demo-seeded instance/mail
