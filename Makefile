# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install embeddings

# A virtualenv with everything installed; redone when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# The optional sentence-embedding extra (papers.embeddings): the portal runs without it;
# the test command installs it, since the suite tests the recommender with and without it.
$(VENV)/.embeddings: $(VENV)/.installed requirements-embeddings.txt
	$(BIN)/pip install --quiet -r requirements-embeddings.txt
	touch $@

embeddings: $(VENV)/.embeddings

# The portal on http://127.0.0.1:8000 with a worker and beat and the demo catalogue, and
# the demo reader's email digest sent by the worker to the console; Ctrl-C stops all three.
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_demo_admin
	$(BIN)/celery -A portal call recommendations.digests.send_digests --args='["weekly"]' >/dev/null
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# Gates, then the suite on SQLite and on PostgreSQL, with service and browser tests.
test: $(VENV)/.installed $(VENV)/.embeddings
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/test
