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
# news-please pins cssselect<1.4 and pulls in database clients: the peer
# extractors of `make bench` get a virtualenv of their own (pyproject's "bench" extra).
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_FLAGS ?=

.PHONY: demo test venv sample clean
.PHONY: pywb-venv wacz
.PHONY: bench
.PHONY: replay-parallel

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" "setuptools<81"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

sample: $(STAMP)
	$(BIN)/python scripts/build_sample_warc.py $(SAMPLE)

demo: $(STAMP)
	$(BIN)/scrapy crawl sputnik_fr -a replay=$(SAMPLE) -s STATS_FILE=$(OUTPUT)/demo-stats.json
	@# This run's feeds, by its run id (not the newest files: all.jsonl or an earlier run's).
	@echo "Feeds written by this run:"
	@run=$$($(BIN)/python -c 'import json, sys; print(json.load(open(sys.argv[1]))["run_id"])' \
		$(OUTPUT)/demo-stats.json) && ls -1 $(OUTPUT)/feeds/sputnik_fr/*-$$run.* | sed 's|^|  |'
	@echo "Report: $(OUTPUT)/reports/sputnik_fr/index.html (python -m crawler.report writes it again)"

test: $(STAMP) $(PYWB_STAMP)
	$(BIN)/python -m pytest

pywb-venv: $(PYWB_STAMP)

$(PYWB_STAMP):
	test -x $(PYWB_VENV)/bin/python || $(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install --quiet "pywb==2.10.*" "setuptools<81"
	touch $(PYWB_STAMP)

$(BENCH_STAMP): pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24" "setuptools<81"
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

# Not part of `make test`: a few minutes; writes bench/results/<date>.json and docs/benchmarks.md.
bench: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_FLAGS)

# The crawl's archive (closed WARC files of $(OUTPUT)/warc) as one WACZ for ReplayWeb.page.
wacz: $(STAMP)
	$(BIN)/python -m warc.wacz $(OUTPUT)/warc $(OUTPUT)/sputnik.wacz

# Replay on every core: JOBS processes, each the shard K/JOBS of the files
# (-a shard=K/N), then one merged feed (docs/scaling.md).
# make replay-parallel REPLAY=path[,path|@list.txt] [JOBS=N] [SPIDER=sputnik_fr]
SPIDER ?= sputnik_fr
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
REPLAY_OUT = $(OUTPUT)/feeds/$(SPIDER)
replay-parallel: $(STAMP)
	@test -n "$(REPLAY)" || { echo "usage: make replay-parallel REPLAY=path[,path|@list.txt] [JOBS=N]" >&2; exit 2; }
	mkdir -p $(REPLAY_OUT)
	rm -f $(REPLAY_OUT)/replay-*-of-$(JOBS).jsonl
	seq 1 $(JOBS) | xargs -P $(JOBS) -I{} $(BIN)/scrapy crawl $(SPIDER) -a 'replay=$(REPLAY)' \
		-a shard={}/$(JOBS) -O $(REPLAY_OUT)/replay-{}-of-$(JOBS).jsonl:jsonlines \
		-s LOG_FILE=$(REPLAY_OUT)/replay-{}-of-$(JOBS).log -s REPORT_ENABLED=False
	$(BIN)/python -m crawler.merge feeds -o $(REPLAY_OUT)/replay.jsonl $(REPLAY_OUT)/replay-*-of-$(JOBS).jsonl
	@# One report for the whole replay, not one per shard racing for the same files.
	$(BIN)/python -m crawler.report --spider $(SPIDER) --feeds $(REPLAY_OUT)/replay.jsonl

clean:
	rm -rf $(VENV) $(PYWB_VENV) output .pytest_cache
