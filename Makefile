# Anwang 安网 — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app portal
PORT ?= 8080
DEMO_UNITS ?= 2000
STAMP := $(VENV)/.installed

.PHONY: run test bench i18n setup demo clean venv

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP) translations/.compiled

translations/.compiled: $(STAMP) $(wildcard translations/*/LC_MESSAGES/*.po)
	$(VENV)/bin/pybabel -q compile -d translations -f
	@touch $@

setup: venv
	$(FLASK) setup

demo: setup
	$(FLASK) demo --units $(DEMO_UNITS)

run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	$(VENV)/bin/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) 'portal:create_app()'

test: venv
	$(PY) -m pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

bench: venv
	$(PY) -m benchmarks $(BENCH_ARGS)

i18n: venv
	PATH=$(VENV)/bin:$$PATH bash translations/build.sh

clean:
	rm -rf $(VENV) instance/anwang.db
