# Two commands for a newcomer:  make demo   (install, build, show)   and   make test.
CARGO ?= cargo
BIN := target/release

.PHONY: all deps build ctests demo test unit e2e suite leftovers bench clean vm-lane

all: build

deps:
	@scripts/deps.sh

build: deps
	$(CARGO) build --release --workspace
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
	c-tests/run-suite.sh --sandbox $(BIN)/sandbox --lib $(BIN)/libsandbox.so --user sbxtest
	@scripts/vm-lane.sh
	@scripts/leftovers.sh compare

# The VM lane alone (needs the build and the test account).
vm-lane: build
	@id -u sbxtest >/dev/null 2>&1 || useradd -M -s /bin/sh -c "sandbox e2e tests" sbxtest
	@scripts/vm-lane.sh

bench: build
	bench/run.sh

clean:
	$(CARGO) clean
	$(MAKE) -s -C c-tests clean
