# Two commands on a fresh Debian 12 machine:
#   make run    install what is missing, build everything, boot the default stack in QEMU
#   make test   install what is missing, build everything, run every test CI runs
# Also: make (build), make iso, make bench, make clean.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build iso run test bench clean

all: build

deps:
	@sh cmake/install-deps.sh

configure: deps
	@echo "== configuring $(BUILD)/ (CMake + Ninja)"
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@echo "== building the hypervisor, host tests, fuzzers and test guests"
	@cmake --build $(BUILD) -j $(JOBS)
	@echo "== $(BUILD)/hypervisor.elf and $(BUILD)/boot.iso are ready"

iso: build

# The serial console is this terminal: the hypervisor boots Debian's kernel (downloaded and
# unpacked by tests/dom0/fetch_kernel.sh) as dom0 with the project's initramfs, to a busybox
# shell. Ctrl-A three times (six presses: QEMU's mon:stdio takes Ctrl-A as its escape, so
# Ctrl-A Ctrl-A sends one) switches input to the hypervisor's debug keys ('h' lists them)
# and back; `poweroff -f` ends QEMU; Ctrl-A X quits QEMU. RUN_SMP: QEMU CPUs = dom0 vCPUs.
RUN_SMP ?= 2
run: build
	@echo "== booting our hypervisor + Debian's kernel as dom0 in QEMU (q35, Haswell-noTSX, $(RUN_SMP) CPUs)"
	@SMP=$(RUN_SMP) sh tests/dom0/run_interactive.sh ours $(BUILD)

test: build
	@echo "== running host suites, fuzz smoke runs, QEMU boot tests and guest tests (ctest)"
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1200

bench: build
	@echo "== benchmarks"
	@sh bench/run.sh $(BUILD)
	@echo "== dom0 boot: native Linux, Xen 4.17 and ours with Debian's kernel (several minutes)"
	@sh bench/boot.sh $(BUILD)

clean:
	rm -rf $(BUILD)
