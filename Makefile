# lorasearch: the stages run in order; each skips itself when its inputs are unchanged.
#
#   make pipeline   build, fetch the default model, run every stage on pipeline.toml
#   make test       build, fetch the default model, run the test suite
#   make status     list stale stages

CARGO ?= cargo
CONFIG ?= pipeline.toml
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release
MODEL_DIR := models/all-MiniLM-L6-v2
QUERY ?= bmw 325i radio

.PHONY: all build deps model pipeline status test bench bench-homedepot clean

all: build

deps:
	scripts/install-deps.sh

build: deps
	$(CARGO) build --release --workspace --bins

model: $(MODEL_DIR)/model.safetensors

$(MODEL_DIR)/model.safetensors:
	scripts/fetch-model.sh $(MODEL_DIR)

pipeline: build model
	$(BIN)/lorasearch-ingest --config $(CONFIG)
	$(BIN)/lorasearch-tokenize --config $(CONFIG)
	$(BIN)/lorasearch-train --config $(CONFIG)
	$(BIN)/lorasearch-evaluate --config $(CONFIG)
	$(BIN)/lorasearch-embed --config $(CONFIG)
	$(BIN)/lorasearch-index --config $(CONFIG)
	$(BIN)/lorasearch search --config $(CONFIG) "$(QUERY)" -k 5

status: build
	$(BIN)/lorasearch status --config $(CONFIG)

# The default suite; tests find the stage binaries next to the test executables.
test: build model
	$(CARGO) test --release --workspace

# Throughput of the encoder and the FAISS index on this machine, appended to BENCHMARKS.md.
bench: build model
	scripts/bench.sh

# The Home Depot benchmark: make bench-homedepot DATA=/path/to/train.csv.zip [MODE=quick|full]
MODE ?= quick
bench-homedepot: build model
	@test -n "$(DATA)" || { echo "usage: make bench-homedepot DATA=/path/to/train.csv.zip [MODE=quick|full]"; exit 2; }
	scripts/bench-homedepot.sh "$(DATA)" $(MODE)

clean:
	rm -rf artifacts
