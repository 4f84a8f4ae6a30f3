PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := samples/sputnik-sample.warc.gz

.PHONY: demo test venv sample clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" "setuptools<81"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

sample: $(STAMP)
	$(BIN)/python scripts/build_sample_warc.py $(SAMPLE)

demo: $(STAMP)
	$(BIN)/scrapy crawl sputnik_fr -a replay=$(SAMPLE)
	@echo "Feeds written under output/feeds/sputnik_fr/:"
	@ls -1t output/feeds/sputnik_fr/ | head -n 2 | sed 's|^|  output/feeds/sputnik_fr/|'

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) output .pytest_cache
