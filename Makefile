PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := samples/sputnik-sample.warc.gz
# pywb pins redis==2.10.6, which clashes with the project's dependencies:
# it gets a virtualenv of its own, used by the replay tests and docs/warc.md.
PYWB_VENV := .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.installed
OUTPUT := $(or $(SPUTNIK_OUTPUT_DIR),output)

.PHONY: demo test venv sample clean
.PHONY: pywb-venv wacz

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

test: $(STAMP) $(PYWB_STAMP)
	$(BIN)/python -m pytest

pywb-venv: $(PYWB_STAMP)

$(PYWB_STAMP):
	test -x $(PYWB_VENV)/bin/python || $(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet "pywb==2.10.*" "setuptools<81"
	touch $(PYWB_STAMP)

# The crawl's archive (closed WARC files of $(OUTPUT)/warc) as one WACZ for ReplayWeb.page.
wacz: $(STAMP)
	$(BIN)/python -m warc.wacz $(OUTPUT)/warc $(OUTPUT)/sputnik.wacz

clean:
	rm -rf $(VENV) $(PYWB_VENV) output .pytest_cache
