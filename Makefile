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

.PHONY: all build deps model pipeline status test test-slow clean

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

clean:
	rm -rf artifacts
