# SafeCampus: `make demo` to run it, `make test` to test it.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
MANAGE := $(PYTHON) manage.py
# `make demo PORT=8100` serves the demo on another port.
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
VENDOR := static/vendor

.PHONY: install assets messages migrate demo serve test test-sqlite test-postgres bench guide lint check-deploy clean

$(BIN)/activate: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

install: $(BIN)/activate

$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/echarts $(VENDOR)/htmx $(VENDOR)/leaflet
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/dist/echarts.js.map $(VENDOR)/echarts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp -r node_modules/leaflet/dist/* $(VENDOR)/leaflet/
	mkdir -p $(VENDOR)/jsqr && cp node_modules/jsqr/dist/jsQR.js $(VENDOR)/jsqr/
	touch $@

assets: $(VENDOR)/.stamp

messages: install
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate: install
	mkdir -p var
	$(MANAGE) migrate --no-input -v 0

# The demo prints links and QR codes for the port it serves on (unless told otherwise).
demo: export SAFECAMPUS_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
demo: install assets messages migrate
	$(MANAGE) demo_load --if-empty
	$(MANAGE) demo_accounts
	@echo "SafeCampus is at http://127.0.0.1:$(PORT) (Ctrl-C stops the web server and the task consumer)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(MANAGE) run_huey --quiet & \
	  $(MANAGE) runserver 127.0.0.1:$(PORT) --noreload

test: install assets messages
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	@if $(PYTHON) scripts/service_up.py 127.0.0.1 5432; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL is required under CI=true but 127.0.0.1:5432 does not answer"; exit 1; \
	else echo "PostgreSQL not reachable at 127.0.0.1:5432: PostgreSQL run skipped"; fi

test-sqlite:
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(if $(shell $(PYTHON) scripts/service_up.py 127.0.0.1 6379 && echo up),REDIS_TEST_URL=$(REDIS_TEST_URL)) $(BIN)/pytest -q -p no:cacheprovider

test-postgres:
	@echo "== tests on PostgreSQL =="
	DATABASE_URL=$(PG_URL) $(if $(shell $(PYTHON) scripts/service_up.py 127.0.0.1 6379 && echo up),REDIS_TEST_URL=$(REDIS_TEST_URL)) $(BIN)/pytest -q -p no:cacheprovider -m "not browser"

bench: install assets messages
	$(PYTHON) benchmarks/run.py
	$(PYTHON) benchmarks/inspections.py
	$(PYTHON) benchmarks/patrols.py
	$(PYTHON) benchmarks/traffic.py
	$(PYTHON) benchmarks/gates.py
	$(PYTHON) benchmarks/checker.py
	$(PYTHON) benchmarks/risk_map.py
	$(PYTHON) benchmarks/open311.py
	$(PYTHON) benchmarks/reports.py
	$(PYTHON) benchmarks/cockpit.py

# Rebuilds the user guides' pictures (docs/guide/img) by walking each guide on a fresh demo.
guide: install assets messages
	env -u DATABASE_URL -u REDIS_URL SAFECAMPUS_GUIDE_SHOTS=$(CURDIR)/docs/guide/img $(BIN)/pytest -q -p no:cacheprovider -m guide

lint: install
	$(BIN)/ruff check .

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production DATABASE_URL=$(PG_URL) ALLOWED_HOSTS=safecampus.example.edu.cn SECRET_KEY=$$($(PYTHON) -c 'import secrets;print(secrets.token_urlsafe(60))') $(MANAGE) check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
