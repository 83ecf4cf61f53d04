# Quick start: `make run` (start the assistant) and `make test` (every check). See README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install browser run train test test-fast lint validate story-test pytest bench-nlu bench-langid bench-dialogue bench clean

help:
	@echo "make run    - install if needed, train if needed, start the assistant on http://127.0.0.1:8080"
	@echo "make test   - ruff, pytest, rasa data validate and the story tests"
	@echo "make test-fast - the tests that need no stack and no trained model (pytest -m \"not stack\", under 2 minutes)"
	@echo "make train  - train the model if its inputs changed (cached by their hash)"
	@echo "make bench-nlu, make bench-langid - accuracy per language of understanding and language detection"
	@echo "make bench-dialogue - typed conversations (task success) and safety triage per language, on the stack"
	@echo "make bench  - load benchmark: 20 simulated residents over the WebSocket, side by side with bare rasa run"

install:
	@bash scripts/bootstrap.sh

browser:
	@bash scripts/install-browser.sh

run: install
	$(PY) -m bot run

train: install
	$(PY) -m bot train

lint: install
	$(PY) -m ruff check bot actions tests tools
	$(PY) -m ruff format --check bot actions tests tools

validate: install
	$(PY) -m rasa data validate
	$(PY) -m bot plain-language

story-test: install train
	$(PY) -m bot test-stories

pytest: install train browser
	$(PY) -m pytest

test: lint validate story-test pytest

test-fast: install
	$(PY) -m pytest -m "not stack"

bench-nlu: install train
	$(PY) -m bot bench-nlu

bench-dialogue: install train
	$(PY) -m bot bench-dialogue

bench-langid: install
	$(PY) -m bot bench-langid

bench: install train
	$(PY) -m bot bench

clean:
	rm -rf var results .pytest_cache .ruff_cache
