# hipwatch — `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench bench-province bench-scaling demo migrate clean messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# With DEBUG off, as by default, the settings refuse the development SECRET_KEY: the
# first install writes a random one to .env (gitignored), and never replaces it.
install: $(STAMP)
	@$(BIN)/python config/ensure_secret_key.py .env

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --with-sources

run: demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest -n auto

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Refresh locale/zh_Hans/LC_MESSAGES/django.po from the code's English msgids, then
# compile django.mo (committed, so `make run` needs no gettext). Needs gettext
# (msgfmt, xgettext); fill every new msgstr before compiling.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=benchmarks
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

# Each target ends with issue 13's table (benchmarks.goals): every row it measured
# beside its floor from the same run.
bench: install
	$(BIN)/python -m benchmarks.goals --reset
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.ingestion
	$(BIN)/python -m benchmarks.goals

# A province on the local PostgreSQL (built once, ~15 minutes, ~34 million daily
# rows), then the figures, the bulletin PDFs and the pages under load (needs wrk).
bench-province: install
	$(BIN)/python -m benchmarks.goals --reset
	$(BIN)/python -m benchmarks.province
	$(BIN)/python -m benchmarks.load
	$(BIN)/python -m benchmarks.goals

# How the figures' cost grows with institutions and days (docs/scaling.md): 10,000
# institutions × 30 days on the local PostgreSQL, built once.
bench-scaling: install
	$(BIN)/python -m benchmarks.scaling

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
