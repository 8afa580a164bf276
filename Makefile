# lpmplanner: `make run` starts the embedded stack, `make test` runs the whole suite.
# Both work on a fresh clone: the first target builds .venv from pyproject.toml.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
RUN_PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: install run prepare system-deps test test-main test-smoke lint mypy mypy-baseline format docs docs-screenshots bench clean

$(STAMP): pyproject.toml
	.ci/system-deps build
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# The embedded default: SQLite file, filesystem broker, DEBUG on; everything under ./var.
run: export DEBUG ?= 1
run: prepare
	PATH="$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile --port $(RUN_PORT)

prepare: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap_roles
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py seed_demo

# What the tests need outside Python (Chromium, slapd, Prometheus …): installed as root, else the
# one command to run.
system-deps:
	.ci/system-deps

# The whole suite: lint, migrations check, the main suite on $$DATABASE_URL/$$CELERY_BROKER_URL
# (SQLite and the filesystem broker when unset), then the smoke part on the embedded default.
# The main part ends with its 25 slowest tests.
test: system-deps lint test-main test-smoke

test-main: $(STAMP) system-deps
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not smoke" --durations=25

# Only tests/smoke is collected: collecting the whole suite (the fuzz generates its cases then)
# would cost more than the smoke tests; tests/conftest.py refuses a smoke test elsewhere. Its two
# long tests (make run, the production web path) run side by side.
test-smoke: $(STAMP)
	env -u DATABASE_URL -u CELERY_BROKER_URL $(BIN)/pytest -n $(PYTEST_WORKERS) -m smoke tests/smoke

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory mypy
	$(MAKE) --no-print-directory docs

# mypy (config in pyproject.toml, incremental cache in .mypy_cache). inventory/ and
# migrations_app/hmc/ are strict and take no baseline (.ci/mypy-strict-guard); elsewhere an error
# fails only when it is not in mypy-baseline.txt, and an error fixed but still listed there fails
# too (`make mypy-baseline`).
MYPY_REPORT := .mypy_cache/report.txt
mypy: $(STAMP)
	@mkdir -p .mypy_cache
	$(BIN)/mypy --no-error-summary > $(MYPY_REPORT) || test $$? -eq 1
	$(BIN)/mypy-baseline filter < $(MYPY_REPORT)
	$(BIN)/python .ci/mypy-strict-guard

# After fixing errors (or, rarely and with a reason in the commit, accepting new ones): rewrite
# mypy-baseline.txt from what mypy reports now.
mypy-baseline: $(STAMP)
	@mkdir -p .mypy_cache
	$(BIN)/mypy --no-error-summary > $(MYPY_REPORT) || test $$? -eq 1
	$(BIN)/mypy-baseline sync < $(MYPY_REPORT)

# The documentation site (docs/ -> site/), offline; any warning (a broken link, a page left out
# of the navigation, an unknown generated table) fails the build. The app serves it at /docs/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The guides' screenshots (docs/images/) from the browser tests that take them, on the embedded
# default database.
docs-screenshots: $(STAMP)
	DOCS_SCREENSHOTS=1 $(BIN)/pytest -n 0 -m docs_screenshot -p no:randomly tests/browser

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var site
