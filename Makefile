# Everything a new machine needs is installed from requirements.lock into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TRACKER_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install browser run dev-sources test lint schema lock clean bench messages

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: install
	$(BIN)/tracker serve --demo

# The dashboard is tested in a real browser: Debian's Chromium, driven by Playwright.
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests (needs root)"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null || { echo "chromium is missing: install it (apt-get install chromium)" >&2; exit 1; }

# Made-up publications on loopback, read by sources on the demo plan: they start from the demo's
# figures and change a little every 5 minutes (tracker/demo/dev_sources.py, PERIOD).
# Run the tracker beside it with: TRACKER_ALLOW_PRIVATE_TARGETS=true make run
dev-sources: install
	$(BIN)/tracker dev-sources

# One worker per core (pytest-xdist), a file's tests on one worker; each worker has its own
# PostgreSQL schema, change channel and scheduler lock (tests/conftest.py).
test: install browser
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=25

# Side by side with PostGraphile 5 on PostgreSQL (see bench/run.py); results in bench/results/.
# BENCH_ARGS="--sizes 126 --seconds 5" for a shorter run.
bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check --no-cache tracker integrations tests bench
	$(BIN)/ruff format --no-cache --check tracker integrations tests bench
	$(BIN)/mypy tracker integrations
	$(BIN)/lint-imports

# The message catalogs of the pages, feeds and chat messages (integrations/locale): every marked
# message of the code and templates extracted to messages.pot, then merged into each language's
# .po, new messages untranslated, changed ones fuzzy (docs/development.md). Read as .po at startup.
LOCALE := integrations/locale
messages: install
	$(BIN)/pybabel extract --mapping-file $(LOCALE)/babel.cfg --keywords 'NP_:1c,2' --keywords 'NNP_:1c,2,3' \
	  --add-comments TRANSLATORS: --add-location file --sort-by-file --no-wrap --omit-header \
	  --output-file $(LOCALE)/messages.pot tracker integrations
	$(BIN)/pybabel update --input-file $(LOCALE)/messages.pot --output-dir $(LOCALE) --domain messages \
	  --no-wrap --ignore-obsolete --ignore-pot-creation-date

schema: install
	$(BIN)/python -m tracker.api.sdl > graphql/schema.graphql

lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
