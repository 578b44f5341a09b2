# The two commands of README.md. Each makes .venv if missing and installs the project
# (a no-op the second time: the stamp is newer than pyproject.toml), then runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench browser wrk

run: install
	$(BIN)/jobmatch up

test: install lint browser
	$(BIN)/pytest

# The browser tests drive Debian's Chromium and its driver. Installed here when missing
# and we are root (CI, a fresh machine); otherwise those tests skip, saying why.
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver; \
	else echo "chromium/chromium-driver missing and not root: browser tests will skip"; fi

install: $(STAMP)

# torch first, pinned: the CPU build of 2.13.0 lies on this machine's disk, while an
# unpinned torch pulled in by sentence-transformers would be a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,train]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# bench/api.py drives the API with wrk (httpx clients use so much CPU themselves that
# they hide the server's limits). Installed here when missing and we are root.
wrk:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	else echo "wrk missing and not root: bench/api.py falls back to httpx clients"; fi

bench: install wrk
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/embed.py
	$(BIN)/python bench/recommend.py
	$(BIN)/python bench/api.py
