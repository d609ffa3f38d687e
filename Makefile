# nodeconsole — the two commands of the Quick start are `make demo` and
# `make test`; both install what is missing on a fresh Debian 12 machine.
SHELL := /bin/bash
CARGO ?= cargo
RELEASE_BIN := target/release/nodeconsole

# Needed to build (libvirt and PAM headers, bindgen's libclang).
BUILD_DEBS := pkg-config gcc libc6-dev libvirt-dev libclang-dev clang libpam0g-dev
# Needed by the demo at run time (pam_wrapper gives the demo its own root password).
DEMO_DEBS := libpam-wrapper
# Needed by the test suite (more are added by mk/*.mk).
TEST_DEBS := tmux libpam-wrapper iproute2 dbus-daemon procps curl

-include mk/*.mk

.PHONY: all deps-build deps-demo deps-test build demo test lint fmt bench measure clean
all: build

deps-build:
	@scripts/ensure-debs $(BUILD_DEBS)

deps-demo: deps-build
	@scripts/ensure-debs $(DEMO_DEBS)

deps-test: deps-build
	@scripts/ensure-debs $(TEST_DEBS)
	@scripts/ensure-services
	@rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

build: deps-build
	$(CARGO) build --release --locked

demo: deps-demo build
	$(RELEASE_BIN) --demo

lint: deps-test
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

test: lint
	$(CARGO) build --locked --bins
	$(CARGO) test --locked --lib --bins --tests --examples -- --test-threads=2
	# criterion benches run once each in test mode (they take no libtest flags)
	$(CARGO) test --locked --bench '*'
	$(CARGO) test --locked --doc

bench: deps-build
	$(CARGO) bench --locked -- --warm-up-time 1 --measurement-time 3

# Idle CPU, RSS, terminal bytes/s and first-frame time of the release build
# (README "Performance").
measure: build deps-test
	scripts/measure-idle.py --bin $(RELEASE_BIN)

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
