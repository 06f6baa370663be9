# The two commands a newcomer needs: `make run` and `make test`.
# Each creates .venv and installs the package with what it needs; both are safe to run again.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint thorough bench bench-service clean system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/isletflow simulate examples/scenarios/standard.yaml

# Programs from Debian that some tests use: chromium (the trainer page's browser test) and
# graphviz (diagrams as SVG/PNG). Installed here when missing and apt can install them (CI runs as
# root on a fresh Debian machine); otherwise those tests skip and say why. Playwright never
# downloads a browser of its own.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing$$missing for the tests (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
			|| echo "could not install$$missing: the tests that need them will skip"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests examples
	$(BIN)/ruff format --check src tests examples
	$(BIN)/mypy src

test: lint system-deps
	$(BIN)/pytest -q -n 2 --dist loadfile

thorough: $(STAMP) system-deps
	HYPOTHESIS_PROFILE=thorough $(BIN)/pytest -q -n 2 --dist loadfile

# What cohorts cost, in one run: the vector path (10^6 recipients) against the per-case engine
# and numpy's floor, the 1-vs-2-worker speed-up and each worker's peak memory
# (benchmarks/vector.py), then the per-case engine against the plain-Python limit and its peers:
# ratios of interleaved medians (see benchmarks/cohort.py). Not a test: nothing fails on a time.
bench: $(STAMP)
	$(BIN)/python benchmarks/cohort.py

# The service's act latency at 100, 1,000 and 10,000 events, cached and not, in one run: medians
# and the ratios of the largest to the smallest (see benchmarks/act_latency.py). Not a test.
bench-service: $(STAMP)
	$(BIN)/python benchmarks/act_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
