# imgflow build, test and deploy entry points (GNU make).
#
#   make build   every Lambda as a static linux/arm64 `bootstrap` + zip, and the layer zip
#   make build-host  the same bootstraps for this machine, in build/host/ (imgflow local --lambda process)
#   make test    test dependencies (test-deps), then go test ./...
#   make lint    gofmt, go vet, asl-validator on the state machine definition, cfn-lint on template.yaml
#   make deploy  sam build && sam deploy --guided
#   make run     the local stack (cmd/imgflow)
#   make bench   over ../shared/images, same run: our resize engine vs sharp (bench/resize.sh),
#                WebP vs cwebp/sharp/our JPEG (bench/webp.sh), HEIC vs dec265/heif-convert (bench/heic.sh)
#   make soak    2,000 small real photos through imgflow local, then imgflow reprocess (bench/reprocess.sh)
#   make fuzz    every fuzz target for FUZZTIME (default 10m) each (scripts/fuzz.sh)
#
# `sam build` calls the build-<LogicalId> targets with ARTIFACTS_DIR set.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build
MAKEFLAGS += --no-builtin-rules

GO           ?= go
BUILD_DIR    := build
TOOLS_DIR    := .tools
TEST_TIMEOUT ?= 20m

STEPS        := trigger validate resize store notify cleanup
FUNCTION_IDS := TriggerFunction ValidateFunction ResizeFunction StoreFunction NotifyFunction CleanupFunction
PRESETS      := layers/common/assets/presets.json
ASL          := statemachine/pipeline.asl.json statemachine/reprocess.asl.json

# Static, stripped, reproducible Lambda binaries for provided.al2023 on Graviton.
LAMBDA_ENV   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w" -buildvcs=false

ASL_VALIDATOR_VERSION := 4.0.0
ASL_VALIDATOR         := $(TOOLS_DIR)/node_modules/.bin/asl-validator
# Stand-in for every ${...} DefinitionSubstitutions placeholder during validation.
DUMMY_ARN_PREFIX      := arn:aws:lambda:us-east-1:123456789012:function:

# Fixed mtime for zipped files, so the same inputs give the same zip bytes.
ZIP_EPOCH := 198001010000

.PHONY: all build test test-simd test-deps apt-deps conformance soak-dmap lint lint-deps deploy run clean distclean zip-dep \
        $(FUNCTION_IDS:%=build-%) build-CommonLayer FORCE

all: lint test build

# ------------------------------------------------------------------ build

build: $(STEPS:%=$(BUILD_DIR)/%.zip) $(BUILD_DIR)/common-layer.zip

# Keep build/<step>/bootstrap after zipping (make would delete it as an intermediate file).
.SECONDARY: $(STEPS:%=$(BUILD_DIR)/%/bootstrap)

# Always hand the binary to go build; its cache decides whether anything is recompiled.
$(BUILD_DIR)/%/bootstrap: FORCE
	@mkdir -p $(@D)
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

$(BUILD_DIR)/%.zip: $(BUILD_DIR)/%/bootstrap | zip-dep
	touch -t $(ZIP_EPOCH) $<
	rm -f $@
	zip -X -q -j $@ $<

# The layer lands at /opt: imgflow/presets.json becomes /opt/imgflow/presets.json.
$(BUILD_DIR)/common-layer.zip: $(PRESETS) | zip-dep
	rm -rf $(BUILD_DIR)/common-layer $@
	mkdir -p $(BUILD_DIR)/common-layer/imgflow
	cp $(PRESETS) $(BUILD_DIR)/common-layer/imgflow/presets.json
	touch -t $(ZIP_EPOCH) $(BUILD_DIR)/common-layer/imgflow/presets.json
	cd $(BUILD_DIR)/common-layer && zip -X -q -D ../common-layer.zip imgflow/presets.json

zip-dep:
	@command -v zip >/dev/null 2>&1 || { \
	  echo "zip not found; installing it with apt-get" >&2; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip >/dev/null; }

# build-host: the same binaries for this machine (GOHOSTOS/GOHOSTARCH), for
# `imgflow local --lambda process`, which runs build/host/<step>/bootstrap.
HOST_DIR := $(BUILD_DIR)/host
HOST_ENV  = CGO_ENABLED=0 GOOS=$(shell $(GO) env GOHOSTOS) GOARCH=$(shell $(GO) env GOHOSTARCH)

.PHONY: build-host
build-host: $(STEPS:%=$(HOST_DIR)/%/bootstrap)

# A static pattern rule, so it wins over $(BUILD_DIR)/%/bootstrap; go build's cache decides what is recompiled.
$(STEPS:%=$(HOST_DIR)/%/bootstrap): $(HOST_DIR)/%/bootstrap: FORCE
	@mkdir -p $(@D)
	$(HOST_ENV) $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

# ------------------------------------------------------------------ sam build hooks

# build-TriggerFunction -> ./functions/trigger, and so on.
step_of = $(shell printf '%s' '$(1:%Function=%)' | tr '[:upper:]' '[:lower:]')

$(FUNCTION_IDS:%=build-%):
	@test -n "$(ARTIFACTS_DIR)" || { echo "$@: ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	$(LAMBDA_ENV) $(GO) build $(LAMBDA_FLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(call step_of,$(@:build-%=%))

# sam build runs the layer's own Makefile (in its ContentUri); this is the same recipe.
build-CommonLayer:
	@test -n "$(ARTIFACTS_DIR)" || { echo "$@: ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	$(MAKE) -C layers/common build-CommonLayer

# ------------------------------------------------------------------ test

# test-deps: install (idempotently) whatever the tests need beyond the Go toolchain:
# Debian's aws CLI and mailpit (a real SMTP server, built from its Go module) for the
# end-to-end test of the local stack, Debian's python3-boto3 for the boto3 suite
# (tests/boto3), and Debian's chromium for the console's browser test.
MAILPIT_VERSION := v1.33.1
MAILPIT         := $(TOOLS_DIR)/bin/mailpit

$(MAILPIT):
	GOBIN=$(abspath $(TOOLS_DIR)/bin) $(GO) install github.com/axllent/mailpit@$(MAILPIT_VERSION)

apt-deps:
	@missing=""; \
	test -x /usr/bin/aws || missing="$$missing awscli"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v zip >/dev/null 2>&1 || missing="$$missing zip"; \
	/usr/bin/python3 -c 'import boto3' >/dev/null 2>&1 || missing="$$missing python3-boto3"; \
	command -v qemu-aarch64-static >/dev/null 2>&1 || missing="$$missing qemu-user-static"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test-deps: lint-deps apt-deps $(MAILPIT)
	$(GO) mod download

test: test-deps lint
	MAILPIT_BIN=$(abspath $(MAILPIT)) $(GO) test -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) test-simd

# test-simd: the SIMD assembly (jpeg IDCT, jpegenc forward DCT, webpenc's 4×4 kernels)
# against its pure-Go fallback on the other architecture too. Lambda runs arm64 (Graviton), so the NEON code
# runs under qemu-user-static (correctness only: its speed is not measured here), and the
# purego tag tests the fallback alone, as a machine without AVX2 or NEON runs it.
SIMD_PKGS  := ./internal/imaging/jpeg ./internal/imaging/jpegenc ./internal/imaging/webpenc
SIMD_TESTS := SIMD|Fallback|FDCT|IDCT|Encode|Kernel
test-simd:
	GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static -run '$(SIMD_TESTS)' $(SIMD_PKGS)
	$(GO) test -count=1 -tags purego $(SIMD_PKGS)

# The Step Functions conformance suite recorded against AWS (../shared/conformance).
CONFORMANCE_CASES ?= ../shared/conformance/sfn-cases.jsonl

conformance:
	@test -f $(CONFORMANCE_CASES) || { echo "conformance: $(CONFORMANCE_CASES) not found (set CONFORMANCE_CASES=...)" >&2; exit 1; }
	$(GO) run ./cmd/imgflow conformance --min 95 $(CONFORMANCE_CASES)

# soak-dmap: a listing of 100,000 objects through a Distributed Map with a ResultWriter,
# checking that the heap stays flat (make test runs the same test with 10,000).
soak-dmap:
	IMGFLOW_DMAP_ITEMS=100000 $(GO) test -count=1 -v -run TestDistributedMapStreamsLargeListing ./internal/sfn

# ------------------------------------------------------------------ lint

$(ASL_VALIDATOR):
	@command -v npm >/dev/null 2>&1 || { echo "npm is needed for asl-validator" >&2; exit 1; }
	mkdir -p $(TOOLS_DIR)
	npm install --prefix $(TOOLS_DIR) --no-audit --no-fund --silent asl-validator@$(ASL_VALIDATOR_VERSION)
	@touch $@

lint-deps: $(ASL_VALIDATOR)

GO_FILES = $(shell find . -name '*.go' -not -path './$(TOOLS_DIR)/*' -not -path './$(BUILD_DIR)/*' -not -path './.aws-sam/*')

lint: lint-deps
	@unformatted="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt -l reports:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@mkdir -p $(BUILD_DIR)/lint
	@for f in $(ASL); do \
	  out=$(BUILD_DIR)/lint/$$(basename $$f); \
	  sed -E 's/\$$\{([A-Za-z0-9_]+)\}/$(DUMMY_ARN_PREFIX)\1/g' $$f > $$out; \
	  if grep -q '\$${' $$out; then echo "unsubstituted \$${...} left in $$f" >&2; exit 1; fi; \
	  echo "$(ASL_VALIDATOR) --json-path $$out"; \
	  $(ASL_VALIDATOR) --json-path $$out || exit 1; \
	done
	@$(MAKE) --no-print-directory lint-template

# cfn-lint (PyPI: pip install cfn-lint; it brings the SAM translator) checks template.yaml after the
# SAM transform, plus the project's own rules in $(CFN_LINT_RULES). It is a Python tool that
# lint-deps cannot install everywhere: without it, lint warns and skips this check, unless CI is set
# (as CI services set it) or REQUIRE_CFN_LINT=1; then it fails. REQUIRE_CFN_LINT=0 overrides CI.
CFN_LINT         ?= cfn-lint
CFN_LINT_REGIONS ?= us-east-1
CFN_LINT_RULES   := cfn-lint-rules.txt
TEMPLATE         := template.yaml

.PHONY: lint-template
lint-template:
	@if ! command -v $(CFN_LINT) >/dev/null 2>&1; then \
	  case "$${REQUIRE_CFN_LINT:-$${CI:-}}" in \
	    ""|0|false) echo "lint: WARNING: $(CFN_LINT) not found, $(TEMPLATE) NOT checked (pip install cfn-lint; CI fails without it)" >&2; exit 0 ;; \
	  esac; \
	  echo "lint: $(CFN_LINT) not found (pip install cfn-lint); required because CI or REQUIRE_CFN_LINT is set" >&2; exit 1; \
	fi; \
	echo "$(CFN_LINT) --regions $(CFN_LINT_REGIONS) --custom-rules $(CFN_LINT_RULES) -- $(TEMPLATE)"; \
	AWS_DEFAULT_REGION=$(firstword $(CFN_LINT_REGIONS)) $(CFN_LINT) --regions $(CFN_LINT_REGIONS) --custom-rules $(CFN_LINT_RULES) -- $(TEMPLATE)

# ------------------------------------------------------------------ bench

# Our resize engine against sharp (libvips) over ../shared/images: warm and
# whole-process time, peak RSS, SSIM, 1/8-scale decode against djpeg. Installs
# sharp (npm, temp folder), ImageMagick, libjpeg-turbo tools, hyperfine and GNU
# time when missing; writes bench/results/<timestamp>.{json,md}.
# Every Go fuzz target for FUZZTIME each (10m unless given), LANES at a time;
# findings stay as seeds in the package's testdata/fuzz/. Example:
# make fuzz FUZZTIME=1m LANES=2 FUZZ=imaging
FUZZTIME ?= 10m
LANES    ?= 1
FUZZ     ?= .
.PHONY: fuzz
fuzz:
	FUZZTIME=$(FUZZTIME) LANES=$(LANES) bash scripts/fuzz.sh '$(FUZZ)'

.PHONY: bench
bench:
	bash bench/resize.sh
	bash bench/webp.sh
	bash bench/heic.sh

# The reprocess soak: 2,000 small real photos (cut at run time from
# ../shared/images) uploaded to imgflow local, then imgflow reprocess --force
# --wait over them; prints images/s and peak RSS (bench/reprocess.sh).
SOAK_IMAGES ?= 2000
.PHONY: soak
soak:
	bash bench/reprocess.sh $(SOAK_IMAGES)

# HEIC decode (one core vs dec265, two cores vs heif-convert) and the 4-size
# unit from a HEIC made at run time from a shared photo (bench/heic.sh).
.PHONY: bench-heic
bench-heic:
	bash bench/heic.sh

# ------------------------------------------------------------------ deploy / run

deploy:
	@command -v sam >/dev/null 2>&1 || { echo "deploy needs the AWS SAM CLI (sam)" >&2; exit 1; }
	sam build
	sam deploy --guided

# The whole pipeline on this machine; flags after ARGS=, e.g. make run ARGS="--smtp 127.0.0.1:1025".
# Only the CLI is built (not the Lambda zips), and only when a source it compiles (cmd, internal,
# layers, go.mod, go.sum; tests excluded) is newer than the binary, so a later run starts at once.
# -trimpath keeps this checkout's path out of the build cache's keys: another clone or worktree of
# the same sources reuses the compiled packages instead of compiling the module again.
# -buildvcs=false: no git stamp, so a commit alone does not relink.
IMGFLOW_BIN       := $(BUILD_DIR)/imgflow
IMGFLOW_SRC       := $(shell find cmd internal layers -type f -not -name '*_test.go' -not -path '*/testdata/*' 2>/dev/null) go.mod go.sum
IMGFLOW_RUN_FLAGS := -trimpath -buildvcs=false

$(IMGFLOW_BIN): $(IMGFLOW_SRC)
	@mkdir -p $(@D)
	@echo "building $@: the first build compiles the whole module and its dependencies (about 40 s on 2 cores; minutes with an empty Go build cache), later ones only what changed"
	@start=$$(date +%s); $(GO) build $(IMGFLOW_RUN_FLAGS) -o $@ ./cmd/imgflow; touch $@; echo "built $@ in $$(( $$(date +%s) - start )) s"

run: $(IMGFLOW_BIN)
	exec $(IMGFLOW_BIN) local $(ARGS)

# ------------------------------------------------------------------ clean

clean:
	rm -rf $(BUILD_DIR) .aws-sam

distclean: clean
	rm -rf $(TOOLS_DIR)

FORCE:
