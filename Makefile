# Two commands for a newcomer:  make demo   (install, build, show)   and   make test.
CARGO ?= cargo
BIN := target/release

.PHONY: all deps build ctests demo test unit e2e suite leftovers bench clean fuzz judge vm-lane

all: build

deps:
	@scripts/deps.sh

# The launcher comes out static-pie (scripts/rustc-wrapper.sh, via .cargo/config.toml); a
# RUSTC_WRAPPER in the environment replaces that wrapper, and the check says so.
build: deps
	$(CARGO) build --release --workspace
	@! readelf -lW $(BIN)/sandbox | grep -q INTERP || { echo "make: $(BIN)/sandbox is dynamically linked: unset RUSTC_WRAPPER (it replaces scripts/rustc-wrapper.sh)" >&2; exit 1; }
	@$(MAKE) -s ctests

ctests:
	@$(MAKE) -s -C c-tests

demo: build
	@scripts/demo.sh

# The whole suite: unit tests, end-to-end tests on the real kernel (root and an
# unprivileged user, launcher and bare modes), the attack/workload suite, the VM lane
# (Debian's stock 6.1 kernel, cgroup v2: scripts/vm-lane.sh), and a check that nothing was
# left behind.
test: build
	@scripts/leftovers.sh snapshot
	@id -u sbxtest >/dev/null 2>&1 || useradd -M -s /bin/sh -c "sandbox e2e tests" sbxtest
	$(CARGO) test --release --workspace -- --test-threads=2
	E2E_VIA_SERVER=1 $(CARGO) test --release -p sandbox-e2e -- --test-threads=2
	c-tests/run-suite.sh --sandbox $(BIN)/sandbox --lib $(BIN)/libsandbox.so --user sbxtest
	scripts/fuzz.sh $(FUZZ_TEST_SECONDS)
	@scripts/vm-lane.sh
	@scripts/leftovers.sh compare

# Every fuzz target for FUZZ_SECONDS each (make test runs them for FUZZ_TEST_SECONDS each,
# 50 s in all). A crash fails the run, with its input in fuzz/artifacts/.
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 10
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The judge service (judge/) on the embedded default (SQLite next to the binary).
JUDGE_PORT ?= 8080
judge: build
	@echo "judge: http://127.0.0.1:$(JUDGE_PORT)/"
	$(BIN)/judge --listen 127.0.0.1:$(JUDGE_PORT)

# The VM lane alone (needs the build and the test account).
vm-lane: build
	@id -u sbxtest >/dev/null 2>&1 || useradd -M -s /bin/sh -c "sandbox e2e tests" sbxtest
	@scripts/vm-lane.sh

bench: build
	bench/run.sh

clean:
	$(CARGO) clean
	$(MAKE) -s -C c-tests clean
