# VeriRegime: `make demo` runs the demo, `make test` runs every test. Both set up what they need
# (pinned npm toolchain, Python virtualenv with ezkl, release build, proving key) and are fast the
# second time.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

STAMPS := target/stamps
NPM_BIN := $(CURDIR)/scripts/node_modules/.bin
BIN := target/release/veriregime
CIRCUIT := circuits/student
export PATH := $(NPM_BIN):$(PATH)
export VERIREGIME_ROOT := $(CURDIR)
export FOUNDRY_DISABLE_NIGHTLY_WARNING := 1

.PHONY: demo test bootstrap build contracts keys clean-keys snapshot soak bench bench-network

# The gas snapshot covers the deterministic tests (fuzz and invariant figures vary with the seed).
SNAPSHOT_ARGS := --no-match-test 'testFuzz_|invariant_'


demo: build keys
	$(BIN) demo $(DEMO_ARGS)

# Ends by checking that no test left a process of this checkout running (anvil, a node, a prover).
test: build keys
	@scripts/strays list . > target/strays.before
	cargo test --release --locked
	FORGE_SNAPSHOT_CHECK=true forge test
	@# forge 1.7.1's `snapshot --check` prints each difference and still exits 0: the differences fail here.
	forge snapshot --check $(SNAPSHOT_ARGS) > target/snapshot-check.log 2>&1; rc=$$?; cat target/snapshot-check.log; \
	  if grep -q '^Diff in' target/snapshot-check.log; then echo "the per-test gas snapshot (.gas-snapshot) differs: run 'make snapshot' and commit it"; exit 1; fi; exit $$rc
	@scripts/strays check . target/strays.before

# Rewrites the gas snapshots after a deliberate gas change (`make test` fails until they are
# committed): .gas-snapshot per test, snapshots/*.json for measured sections (one full submission).
snapshot: build
	forge snapshot $(SNAPSHOT_ARGS)

# Benchmark, not a test: the oracle daemon for SOAK_ROUNDS rounds (default 30, ~30 s each) against
# the fake exchange and anvil; prints stage latencies (p50/p95) and memory over time. The shipped
# student and circuit by default; SOAK_MODEL and SOAK_CIRCUIT (a benchmark build folder, with its
# forge/ verifier build) soak another.
soak: build keys
	cargo test --release --locked --test daemon soak -- --ignored --nocapture

# Benchmark, not a test: a committee of three daemons at 2 of 3 (the network test's set-up, all
# honest) for NETWORK_ROUNDS rounds (default 10, ~30 s each): candle close -> confirmed and each
# stage, p50/p95/max, from the transmitters' records. Run it on an idle machine.
bench-network: build keys
	cargo test --release --locked --test network bench_committee_latency -- --ignored --nocapture

# Benchmark, not a test: the teacher against the shipped student and the seed-shaped one as EZKL
# circuits, each at EZKL's defaults and in the shipped layout ("tuned": one inner column, a 2^12
# range-check table), measured end to end (bench/RESULTS.md, RESULTS.json, pareto.png). The teacher
# takes its fastest layout measured here (4 inner columns: logrows 19, ~250 s per proof, ~19 GB of
# RAM; bench/teacher-cols4), so S is not flattered by a slow teacher. BENCH_ARGS="--no-teacher" leaves
# it out.
BENCH_DATA ?= ../shared/data/binance-vision
BENCH_STUDENTS ?= models/student,models/study/student-128-64-32
BENCH_TUNED ?= --decomp-base 4096 --decomp-legs 2 --num-inner-cols 1
BENCH_TEACHER ?= --num-inner-cols 4
bench: build
	$(BIN) bench --data $(BENCH_DATA) --students $(BENCH_STUDENTS) --tuned-args "$(BENCH_TUNED)" --teacher-args "$(BENCH_TEACHER)" $(BENCH_ARGS)

bootstrap: $(STAMPS)/npm $(STAMPS)/venv $(STAMPS)/promtool

# Foundry binaries, solcjs, OpenZeppelin and forge-std, exactly as locked.
$(STAMPS)/npm: scripts/package.json scripts/package-lock.json
	cd scripts && npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

# promtool from Debian's prometheus package, unpacked into target/tools (no root), for the test of
# oracle/deploy/alerts.yml. Without apt the test is skipped, saying so; nothing else needs it.
$(STAMPS)/promtool: scripts/get-promtool
	@if scripts/get-promtool target/tools; then mkdir -p $(STAMPS) && touch $@; else echo "promtool unavailable: the alert rules' test will be skipped"; fi

# ezkl, pinned, in the project's own virtualenv.
$(STAMPS)/venv: scripts/requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
	@mkdir -p $(STAMPS) && touch $@

# The contracts first, then the tests. forge 1.7.1 exits 0 when solc aborts, so its output is checked
# as well. (solcjs used to abort on large runs: its input went on the WebAssembly stack, which ~1.2 MB
# of sources overflows; scripts/solc now passes large inputs on the heap.)
FORGE_BUILD_LOG := target/forge-build.log
define forge_build
	forge build $(1) 2>&1 | tee $(FORGE_BUILD_LOG)
	@! grep -q '^Error' $(FORGE_BUILD_LOG) || { echo "forge build $(1) failed (see above)"; exit 1; }
endef

build: bootstrap
	cargo build --release --locked
	$(call forge_build,--skip test)
	$(call forge_build,)

# The proving key is large and never committed: regenerate it from the committed circuit.
keys: build
	$(BIN) circuit keys --dir $(CIRCUIT)

clean-keys:
	rm -f $(CIRCUIT)/pk.key
