# Two commands on a fresh Debian 12 machine:
#   make run    install what is missing, build everything, boot the default stack in QEMU
#   make test   install what is missing, build everything, run every test CI runs
# Also: make (build), make iso, make bench, make clean.
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SMP ?= 4
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

# The serial console is this terminal; quit QEMU with Ctrl-A X.
run: build
	@echo "== booting $(BUILD)/boot.iso in QEMU (q35, Haswell-noTSX, $(SMP) CPUs); quit with Ctrl-A X"
	qemu-system-x86_64 -M q35 -cpu Haswell-noTSX -m 1024 -smp $(SMP) -nographic -no-reboot \
		-cdrom $(BUILD)/boot.iso

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
