# Appraiser Academy — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR):$(CURDIR)/site

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned requirements

migrate: install ## Apply database migrations
	$(PY) manage.py migrate --noinput

seed: migrate ## Load the demo data (idempotent)
	$(PY) manage.py seed_demo

run: seed ## Set everything up and serve http://127.0.0.1:8000 with demo data (with REDIS_URL: web + all workers)
	@if [ -n "$$REDIS_URL" ]; then \
		$(BIN)/honcho start -f Procfile.dev; \
	else \
		$(PY) manage.py runserver 127.0.0.1:8000; \
	fi

test: install ## Set everything up and run the whole test suite
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: install ## Django system checks and the migrations gate
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

messages: install ## Update the zh-hans catalogues (needs gettext's xgettext) and compile them
	$(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*' --ignore 'tests/*' \
		--ignore 'question_bank/*' --ignore 'exams/*' --ignore 'courses/*' --no-obsolete
	for app in question_bank exams courses; do mkdir -p $$app/locale && (cd $$app && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete); done
	$(PY) manage.py compile_translations

browsers: ## Install Debian chromium and a CJK font for the browser tests (root)
	apt-get update && apt-get install -y --no-install-recommends chromium fonts-wqy-microhei

.PHONY: help install migrate seed run test lint check messages browsers
