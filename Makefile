# proxyd — build, demo and test. `make demo` and `make test` work on a fresh Debian 12 machine with Swift:
# they install the Debian packages proxyd needs when they are missing.

SWIFT       ?= swift
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_DEPS := pkg-config libnftables-dev libnl-3-dev libnl-genl-3-dev libmnl-dev nftables conntrack \
               iproute2 iptables ipset openssl util-linux curl
# The IPVS tests boot Debian's kernel (IPVS, dummy interfaces) under qemu with virtme-ng (PyPI).
VM_DEBIAN_DEPS := qemu-system-x86 linux-image-amd64 busybox-static ipvsadm
PROXYD      := .build/debug/proxyd
DEMO_FLAGS  := --objects examples/ --hostname-override node-a --cluster-cidr 10.244.0.0/16,fd00:10:244::/56

.PHONY: deps vm-deps build demo test bench clean

## deps: install the Debian packages proxyd builds against and tests with (only the missing ones)
deps:
	@missing=$$(for p in $(DEBIAN_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

## vm-deps: what the VM tests need (about 2 minutes the first time: qemu, a kernel image, virtme-ng)
vm-deps:
	@missing=$$(for p in $(VM_DEBIAN_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v vng >/dev/null || { python3 -m pip install --quiet virtme-ng && { command -v pyenv >/dev/null && pyenv rehash || true; }; }

## build: debug build of every target
build: deps
	$(SWIFT) build

## demo: build, then show what proxyd would program for the example cluster in examples/ (as node-a):
##       the desired-state table, then the exact nftables transaction
demo: build
	$(PROXYD) $(DEMO_FLAGS) --dry-run --output=model
	@echo
	$(PROXYD) $(DEMO_FLAGS) --dry-run --output=nft

## test: every test — unit, kernel (root, network namespaces), IPVS in a VM, end-to-end
test: deps vm-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: release build, then the nftables, iptables and API-server watcher benchmarks (root; numbers for BENCHMARKS.md)
bench: deps
	$(SWIFT) build -c release --product proxyd
	$(SWIFT) build -c release --product proxyd-lab
	$(SWIFT) build -c release --product proxyd-bench
	.build/release/proxyd-bench nftables
	.build/release/proxyd-bench iptables
	.build/release/proxyd-bench watcher

clean:
	rm -rf .build
