# CityRenew — the two commands: `make demo` and `make test`.
# Each installs what it needs into .venv (Python, pinned by requirements.lock) and node_modules
# (front-end libraries, pinned by package-lock.json); `make test` also installs Debian's chromium.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.cityrenew-installed
NPM_STAMP := node_modules/.cityrenew-installed
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (0 = one process); files stay whole on one worker (--dist loadfile)
TEST_WORKERS ?= 2

.PHONY: setup demo test bench browser fonts spatial clean lock

setup: $(PY_STAMP) $(NPM_STAMP) spatial

$(PY_STAMP): pyproject.toml requirements.lock | spatial
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages for the spatial database (docs/spatial.md): SpatiaLite (the embedded default), the
# GDAL/GEOS/PROJ libraries GeoDjango loads, and libsqlite3-dev, against which pip builds pysqlite3 (a
# sqlite3 module that can load extensions, for Pythons built without). Installed only when missing.
SPATIAL_DEBS = libsqlite3-mod-spatialite gdal-bin libsqlite3-dev
# The MQTT broker lifeline devices publish readings to (docs/lifeline.md): the demo runs one, the tests start one.
SERVICE_DEBS = mosquitto

spatial:
	@dpkg -s $(SPATIAL_DEBS) >/dev/null 2>&1 || { \
	  echo "安装空间数据库组件（SpatiaLite、GDAL、GEOS、PROJ）…"; \
	  $(APT_INSTALL) $(SPATIAL_DEBS) >/dev/null; }
	@dpkg -s $(SERVICE_DEBS) >/dev/null 2>&1 || { \
	  echo "安装 MQTT 消息服务器 mosquitto（城市生命线监测）…"; \
	  $(APT_INSTALL) $(SERVICE_DEBS) >/dev/null; }

# Debian packages: a CJK font (charts in reports, screenshots) and chromium for the Playwright page
# tests (Playwright never downloads a browser here). Installed only when missing.
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  echo "安装中文字体 fonts-noto-cjk（报告图表需要）…"; \
	  $(APT_INSTALL) fonts-noto-cjk fontconfig >/dev/null || echo "警告：无法安装中文字体，报告图表中的中文将无法显示"; }

browser: fonts
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "安装 Debian chromium（页面测试需要）…"; \
	  $(APT_INSTALL) chromium >/dev/null; }

demo: setup fonts
	$(BIN)/cityrenew demo

test: setup browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The map bench measures SpatiaLite and PostGIS: bench/with-postgres starts a throwaway PostgreSQL + PostGIS
# server from Debian's packages on loopback (CITYRENEW_BENCH_NO_POSTGRES=1: SpatiaLite only).
bench: setup
	bench/with-postgres $(BIN)/python bench/run.py $(BENCH_ARGS)

# Regenerate requirements.lock from a fresh environment resolved from pyproject.toml.
lock:
	rm -rf /tmp/cityrenew-lock && $(PYTHON) -m venv /tmp/cityrenew-lock
	/tmp/cityrenew-lock/bin/pip install -q --no-binary pysqlite3 -e '.[test,bench]'
	{ head -3 requirements.lock; /tmp/cityrenew-lock/bin/pip freeze --exclude-editable | grep -v '^-e'; } > /tmp/cityrenew-lock.txt
	mv /tmp/cityrenew-lock.txt requirements.lock

clean:
	rm -rf $(VENV) node_modules var cityrenew.sqlite3
