# eATA — two commands for a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
PYTHON ?= python3

.PHONY: translations i18n-extract i18n-update setup run test test-postgres test-reliability assets browser-deps worker scheduler lint typecheck clean

setup: $(VENV)/.installed node_modules/.installed assets translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: node_modules/.installed
	npm run --silent build

## translations: compile the catalogues (portal/translations/<lang>/LC_MESSAGES/messages.po → .mo)
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d portal/translations

## i18n-extract / i18n-update: collect the texts into messages.pot, then merge it into each catalogue
i18n-extract: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --ignore-dirs=".*" --no-location --sort-output -o portal/translations/messages.pot .

i18n-update: i18n-extract
	$(VENV)/bin/pybabel -q update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

browser-deps:
	sh scripts/ensure-chromium.sh

## run: install, migrate, load demo data and serve on the embedded default (SQLite, jobs inline)
run: setup
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Open http://customs-be.localhost:5000/ (or customs-fr, customs-ch)"
	$(FLASK) run --host 127.0.0.1 --port 5000

## test: install everything and run the whole suite (SQLite, or PostgreSQL/Redis via DATABASE_URL/REDIS_URL)
test: setup browser-deps
	$(PY) -m pytest

test-postgres: setup browser-deps
	DATABASE_URL=$${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} $(PY) -m pytest

## test-reliability: fault tests against real processes (own PostgreSQL, Redis, SMTP, gunicorn, RQ)
test-reliability: setup
	$(PY) -m pytest -m reliability tests/reliability

## lint: formatting, lint rules and types (CI runs it before the tests)
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(MAKE) --no-print-directory typecheck

## typecheck: mypy over the domain and the models (settings in pyproject.toml [tool.mypy])
typecheck: setup
	$(VENV)/bin/mypy portal/domain portal/models

clean:
	rm -rf $(VENV) node_modules portal/static/vendor instance
