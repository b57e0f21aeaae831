# The two set-up commands (see README): `make serve` runs the service, `make test` runs the tests.
# Both work on a fresh machine: they create .venv and install what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: serve test system-deps venv check bench quality fuzz clean

$(VENV)/bin/activate:
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

venv: $(VENV)/bin/activate

# Debian packages the tests use: headless Chromium and CJK fonts (widget), redis-server (shared
# state), wrk (the bench smoke run).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v redis-server >/dev/null || ! command -v wrk >/dev/null \
		|| ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing chromium fonts-noto-cjk redis-server wrk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk redis-server wrk >/dev/null; \
	fi

# The service on the embedded default: bundled registry, in-process state, no external server.
serve: venv
	$(PIP) install --quiet .
	$(VENV)/bin/verifier serve

# A non-editable install, so the tests exercise the package as users get it.
test: system-deps venv
	$(PIP) install --quiet '.[test]'
	$(VENV)/bin/verifier registry check
	$(VENV)/bin/verifier registry eval tests/corpus/notices.jsonl --min-recall 0.95 --max-false-positive-rate 0.03 > /dev/null
	$(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

bench: venv
	$(PIP) install --quiet '.[test]'
	$(PY) bench/run.py

quality: venv
	$(PIP) install --quiet .
	$(PY) bench/quality.py

# Coverage-guided fuzzing (atheris) of the request parser and the engine, both targets side by side
# for MINUTES minutes. Findings are copied to tests/fuzz/crashers/<target>/, which CI replays.
MINUTES ?= 10
fuzz: venv
	$(PIP) install --quiet -e '.[test]'
	$(PY) tests/fuzz/run.py body --seconds $$(( $(MINUTES) * 60 )) & b=$$!; \
	$(PY) tests/fuzz/run.py engine --seconds $$(( $(MINUTES) * 60 )); e=$$?; \
	wait $$b; s=$$?; test $$e -eq 0 -a $$s -eq 0

clean:
	rm -rf $(VENV) build dist *.egg-info artifacts
