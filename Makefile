# Everything from a fresh clone: `make dev` runs the platform, `make test` the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements/dev.txt)
MANAGE := $(PY) manage.py
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: dev test lint bench fuzz faults loadtest soak stop migrate seed system-deps browser-deps static-deps clean help

help:
	@echo "make dev    run web, worker and beat on embedded PostgreSQL and Redis (demo tenant)"
	@echo "make test   run the whole suite (starts its own PostgreSQL and Redis)"
	@echo "make bench  run the benchmarks under bench/"
	@echo "make fuzz   schemathesis, every check, against the API of a test server (FUZZ_EXAMPLES per operation)"
	@echo "make faults the fault tests over 20 s: Redis and PostgreSQL restarted under load"
	@echo "make loadtest  the knee: a realistic mix at 1, 2, 4 ... 32 users (.artifacts/loadtest.json)"
	@echo "make soak   half the knee for SOAK_SECONDS (600): errors, memory, connections, fds"
	@echo "make lint   ruff and the import contracts"
	@echo "make stop   stop the embedded PostgreSQL and Redis of make dev"

# The virtualenv is made without pip (its ensurepip takes ~10 s): the system's pip puts uv
# in it, and uv installs the rest, pip included.
$(VENV)/.installed: requirements/base.txt requirements/dev.txt requirements/prod.txt
	test -x $(PY) || $(PYTHON) -m venv --without-pip $(VENV)
	test -x $(UV) || $(PYTHON) -m pip --python $(PY) install --disable-pip-version-check uv==$(UV_VERSION) \
	  || { $(PY) -m ensurepip --default-pip && $(PY) -m pip install --disable-pip-version-check uv==$(UV_VERSION); }
	UV_FIND_LINKS="$${UV_FIND_LINKS:-$$PIP_FIND_LINKS}" $(UV) pip install --python $(PY) \
	  pip -r requirements/dev.txt -r requirements/prod.txt
	touch $@

# Debian packages the platform runs with: Redis (unless REDIS_URL is given),
# PostgreSQL's server binaries (unless DATABASE_URL is given), antiword for
# legacy .doc files.
system-deps:
	@missing=""; \
	if [ -z "$$REDIS_URL" ] && ! command -v redis-server >/dev/null; then missing="$$missing redis-server"; fi; \
	if ! command -v antiword >/dev/null; then missing="$$missing antiword"; fi; \
	if [ -z "$$DATABASE_URL" ] && ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing="$$missing postgresql"; fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT_GET) update -qq && $(APT_GET) install -y -qq $$missing; \
	  else echo "Please install:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; fi; \
	fi

# Browser libraries from the npm registry, as package-lock.json pins them, copied into
# static/vendor (served by the platform itself, no CDN).
UPLOT := static/vendor/uplot/uPlot.iife.min.js
MARKDOWN := static/vendor/markdown/purify.min.js
static-deps: $(UPLOT) $(MARKDOWN)

$(UPLOT): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Please install npm (sudo apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p static/vendor/uplot
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/

# The chat renders answers' Markdown with marked, cleaned by DOMPurify.
$(MARKDOWN): package.json package-lock.json $(UPLOT)
	mkdir -p static/vendor/markdown
	cp node_modules/marked/lib/marked.umd.js node_modules/dompurify/dist/purify.min.js static/vendor/markdown/

# The browser test drives Debian's chromium through Playwright (no browser download).
browser-deps:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium; \
	  else echo "Please install chromium (sudo apt-get install chromium)"; exit 1; fi; \
	fi

migrate: $(VENV)/.installed system-deps static-deps
	$(PY) -m config.devservices start
	$(MANAGE) migrate_platform --verbosity 0

seed: migrate
	$(MANAGE) seed_demo
	$(MANAGE) airtable_demo_connect

# honcho gives each process a PORT of its own; the web port travels as WEB_PORT.
# config.devready prints the address and logins once the web process answers.
# dev_setup does what `seed` does (migrate, seed_demo, airtable_demo_connect) in one process.
dev: $(VENV)/.installed system-deps static-deps
	$(PY) -m config.devservices start
	$(MANAGE) dev_setup
	$(PY) -m config.devready --port $${PORT:-8000} & \
	DJANGO_SETTINGS_MODULE=config.settings.dev WEB_PORT=$${PORT:-8000} $(VENV)/bin/honcho start -f Procfile

stop:
	$(PY) -m config.devservices stop

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check apps config tests bench
	$(VENV)/bin/lint-imports

test: $(VENV)/.installed system-deps browser-deps static-deps lint
	$(PY) -m pytest -n 2 --dist loadfile

# Schemathesis against /api/schema/ of a test server with a seeded tenant and its API key,
# every one of its checks (the document's statuses, shapes, content types; negative data
# refused, positive data accepted) and ours (no 5xx, every error problem+json), over
# positive and negative data. FUZZ_EXAMPLES cases per operation (the suite runs 3);
# FUZZ_REPORT=path writes each failure with its curl command.
fuzz: $(VENV)/.installed system-deps
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-50} $(PY) -m pytest -p no:cacheprovider -q -s tests/fuzz

# Redis restarted under a web process and a worker, PostgreSQL restarted under the pooled
# ASGI process: each over 20 s, so the suite (and CI) leaves them out.
faults: $(VENV)/.installed system-deps
	$(PY) -m pytest -p no:cacheprovider -q -m faults tests

# The platform as production runs it (gunicorn, uvicorn, Celery) on a PostgreSQL and a
# Redis of its own under a realistic load from locust on loopback: docs/performance.md.
loadtest: $(VENV)/.installed system-deps
	$(PY) bench/load/loadtest.py

soak: $(VENV)/.installed system-deps
	$(PY) bench/load/loadtest.py --soak

bench: $(VENV)/.installed system-deps
	$(PY) -m config.devservices start
	$(PY) bench/run.py

clean: stop
	rm -rf .data
