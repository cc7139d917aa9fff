# Shanhuo: `make run` to try it, `make test` to prove it. See README.md.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PORT   ?= 8000
PYTHON ?= python3
# Development defaults for the embedded mode; the environment wins when set.
export DEBUG ?= 1

.PHONY: install run serve migrate demo test lint format worker beat bench browser-deps contract-deps clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

# The links the API gives (photos, trace pages, QR codes, share links) point where `make run`
# serves: SITE_URL follows PORT unless it is set (a production server sets its own).
run demo: export SITE_URL ?= http://127.0.0.1:$(PORT)

run: demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	DEBUG=0 $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	$(VENV)/bin/celery -A shanhuo worker --loglevel=INFO --concurrency=2

beat: install
	mkdir -p var
	$(VENV)/bin/celery -A shanhuo beat --loglevel=INFO --schedule=var/celerybeat-schedule

bench: install
	$(PY) -m bench $(BENCH_ARGS)

# Debian's headless Chromium, its driver and a Chinese font for the real-browser tests (as root,
# through apt: no browser downloads).
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && fc-list :lang=zh | grep -q .; \
	then echo "chromium, chromedriver and a Chinese font are installed"; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	  chromium chromium-driver fonts-wqy-microhei; fi

# Redocly's CLI (pinned in tools/redocly/package.json) for the OpenAPI contract test, with the
# machine's Node.js and npm (CI runs it; without it the lint test is skipped locally).
contract-deps:
	npm ci --prefix tools/redocly --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var media
