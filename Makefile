# The two commands of the README:
#   make run   install what is missing, build, run the local demonstration (no root needed)
#   make test  install what is missing, build, run every test (cluster tests need root)
# Other targets: build, release, fuzz, bench, sweep, sweep-group, clean.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 15
SWEEP_SEEDS ?= 20000
GROUP_STACK ?= total:gmp:stable:mnak:suspect

.PHONY: deps build release fuzz run test test-unit test-fuzz bench sweep sweep-group clean

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)

release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

fuzz: deps
	@cmake --preset fuzz -DCOHORT_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) --target cohort_fuzzers

run: release
	@scripts/demo.sh build/release

test-fuzz: fuzz
	@ctest --preset fuzz -j $(JOBS)

test-unit: build
	@ctest --preset debug -j $(JOBS)

# Fuzz smoke first, so the last lines printed are the summary of the full suite.
test: test-fuzz test-unit

bench: release
	@build/release/bench/core_bench
	@build/release/bench/transport_bench

# The long simulator sweeps (not part of `make test`): reliable broadcast,
# then the full group stack with every fault at once.
sweep: release
	@build/release/src/sim/cohort-sim rbcast --seeds $(SWEEP_SEEDS)
	@$(MAKE) --no-print-directory sweep-group

sweep-group: release
	@build/release/src/sim/cohort-sim group --seeds $(SWEEP_SEEDS) --stack $(GROUP_STACK) --max-loss 0.2 --reorder

clean:
	@rm -rf build
