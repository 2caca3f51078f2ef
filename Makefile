# CityRenew — the two commands: `make demo` and `make test`.
# Each installs what it needs into .venv (Python, pinned by requirements.lock) and node_modules
# (front-end libraries, pinned by package-lock.json); `make test` also installs Debian's chromium.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.cityrenew-installed
NPM_STAMP := node_modules/.cityrenew-installed
export CITYRENEW_SHARED_DATA ?= $(abspath ../shared/data)
PYTEST_ARGS ?=

.PHONY: setup demo test bench browser clean lock

setup: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's chromium for the Playwright page tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "安装 Debian chromium（页面测试需要）…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: setup
	$(BIN)/cityrenew demo

test: setup browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

# Regenerate requirements.lock from a fresh environment resolved from pyproject.toml.
lock:
	rm -rf /tmp/cityrenew-lock && $(PYTHON) -m venv /tmp/cityrenew-lock
	/tmp/cityrenew-lock/bin/pip install -q -e '.[test,bench]'
	/tmp/cityrenew-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) node_modules var cityrenew.sqlite3
