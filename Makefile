# Gophernetes — build, root filesystem, tests.
#   make          install missing Debian packages (as root), build both programs and ./rootfs
#   make shell    all of that, then start gophernetes-shell on ./rootfs
#   make check    unit tests, integration tests, lesson replay, then the same under ASan+UBSan, then
#                 cppcheck, valgrind on the unit tests and a short fuzz run (make check-analysis),
#                 then the integration tests again on a pure cgroup v2 kernel booted in qemu (make check-v2)
CC      ?= gcc
PKGS    := gcc libc6-dev libreadline-dev libnl-3-dev libnl-route-3-dev libnftables-dev libseccomp-dev libcap-dev check busybox-static pkg-config libarchive-dev libjson-c-dev libcurl4-openssl-dev
TESTPKGS := iproute2 procps util-linux mount time nftables passwd valgrind jq bsdutils expect cppcheck clang libclang-rt-14-dev python3 docker-registry skopeo umoci curl apache2-utils podman conmon containerd runc golang-github-opencontainers-specs-dev python3-jsonschema
# Only for `make bench`: the runtimes it compares with, and the chart.
BENCHPKGS := crun runc bubblewrap gnuplot-nox time iproute2 util-linux
BUILD   ?= build
SAN     ?=
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Iinclude $(SAN)
NL_CFLAGS = $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
# libnl is loaded with dlopen by the engine (src/engine/nl_lib.h); only the unit tests, which call
# it directly, link it.
NL_LIBS   = -lcap -lm
NL_TEST_LIBS = $(shell pkg-config --libs libnl-route-3.0 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)
LDFLAGS += $(SAN)

# src/image/*.c: the image store; libarchive and json-c are loaded with dlopen (src/image/*_lib.h).
ENGINE_SRC := $(wildcard src/engine/*.c) $(wildcard src/image/*.c)
CLI_SRC    := $(wildcard src/cli/*.c)
SHELL_SRC  := $(wildcard src/shell/*.c)
UNIT_SRC   := $(wildcard tests/unit/*.c)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/%.o)
SHELL_OBJ  := $(SHELL_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ   := $(UNIT_SRC:%.c=$(BUILD)/%.o)
# The shell's command code (everything but main) is also linked into the unit tests.
SHELL_LIB_OBJ := $(filter-out $(BUILD)/src/shell/main.o,$(SHELL_OBJ))

.PHONY: all shell check unit integration lessons lint-lessons soak soak-short asan-check check-analysis lint valgrind deps test-deps bench bench-deps bench-images clean distclean
all: deps gophernetes gophernetes-shell rootfs/bin/busybox rootfs/bin/escape-chroot lint-lessons

shell: all
	./gophernetes-shell --rootfs ./rootfs

# Installs what is missing; does nothing when everything is there.
deps:
	@missing=""; for p in $(PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing — run make as root (sudo make) to install them"; exit 1; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

test-deps: deps
	@missing=""; for p in $(TESTPKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing — run as root"; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

bench-deps: deps
	@missing=""; for p in $(BENCHPKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing — run as root"; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(BUILD)/%.o: %.c $(wildcard include/gph/*.h src/*/*.h tests/unit/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(NL_CFLAGS) -c -o $@ $<

$(BUILD)/libgph.a: $(ENGINE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/gophernetes: $(CLI_OBJ) $(BUILD)/libgph.a
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS)

$(BUILD)/gophernetes-shell: $(SHELL_OBJ) $(BUILD)/libgph.a
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) -lreadline

# The programs at the repository root are the normal build's.
gophernetes gophernetes-shell: %: build/%
	cp $< $@

rootfs/bin/busybox: scripts/mkrootfs.sh | deps
	scripts/mkrootfs.sh rootfs

# Lesson 11's chroot breakout, static (the rootfs has no libc), installed into ./rootfs. A rebuilt
# rootfs (a newer busybox) gets it again.
$(BUILD)/escape-chroot: lessons/tools/escape-chroot.c
	@mkdir -p $(BUILD)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -static -o $@ $<

rootfs/bin/escape-chroot: $(BUILD)/escape-chroot rootfs/bin/busybox
	install -m 0755 $< $@

$(BUILD)/unit-tests: $(UNIT_OBJ) $(SHELL_LIB_OBJ) $(BUILD)/libgph.a
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(NL_TEST_LIBS) -lreadline $(CHECK_LIBS)

$(BUILD)/probe: tests/probe/probe.c
	@mkdir -p $(BUILD)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -static -o $@ $<

BINS = $(BUILD)/gophernetes $(BUILD)/gophernetes-shell

# Escape helpers for the hardening tests: one static 64-bit, one 32-bit (assembled, no multilib).
$(BUILD)/escape: tests/probe/escape.c
	@mkdir -p $(BUILD)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -static -o $@ $<

$(BUILD)/escape32: tests/probe/escape32.S
	@mkdir -p $(BUILD)
	as --32 -o $(BUILD)/escape32.o $< && ld -m elf_i386 -static -o $@ $(BUILD)/escape32.o

# gophernetes side by side with crun, runc, bwrap and unshare+chroot: bench/results.md and .png.
# BENCH_QUICK=1 for a short trial run. On a shared machine run it under the container lock.
$(BUILD)/bench-runner: bench/runner.c
	@mkdir -p $(BUILD)
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -o $@ $<

bench: all bench-deps $(BUILD)/bench-runner bench-images
	GPH_BIN=$(BUILD) BENCH_QUICK=$(BENCH_QUICK) bench/bench.sh

# The image path (bench/images.sh -> bench/images.md): pull + unpack against skopeo + umoci, start
# of an image-backed container against a plain rootfs, peak RSS with a 200 MiB layer.
bench-images: all test-deps bench-deps
	GPH_BIN=$(BUILD) BENCH_QUICK=$(BENCH_QUICK) bench/images.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

integration: $(BINS) rootfs/bin/busybox test-deps $(BUILD)/probe $(BUILD)/escape $(BUILD)/escape32
	GPH_BIN=$(BUILD) tests/integration/run-all.sh

# Every lesson against the rules of lessons/README.md (a title, @see, an expectation on every
# command, none that matches anything): part of the build, needs no root.
lint-lessons: $(BUILD)/gophernetes-shell
	$(BUILD)/gophernetes-shell --lint lessons/*.lesson

# `make lessons TAP=1` prints TAP; a lesson this machine cannot run is reported as skipped.
# The images lesson's image is made at replay time in a temporary store (lessons/tools/with-image-store.sh;
# python3 from test-deps).
lessons: $(BINS) rootfs/bin/busybox rootfs/bin/escape-chroot lint-lessons test-deps
	lessons/tools/with-image-store.sh $(abspath $(BUILD))/gophernetes \
		$(abspath $(BUILD))/gophernetes-shell --rootfs $(CURDIR)/rootfs --replay $(if $(TAP),--tap) \
		$(abspath $(wildcard lessons/*.lesson))

# Soak (tests/soak/soak.sh): 1000 sequential and 200 parallel bridged containers with memory
# limits, then everything at its baseline. `make check` runs the short form (about a minute).
# valgrind cannot run a sanitizer build, so the descriptor count at exit is skipped there.
SOAK_ENV = GPH_BIN=$(BUILD) GPH_SOAK_VALGRIND=$(if $(SAN),0,1)
soak: $(BINS) rootfs/bin/busybox test-deps $(BUILD)/probe
	$(SOAK_ENV) tests/soak/soak.sh

soak-short: $(BINS) rootfs/bin/busybox test-deps $(BUILD)/probe
	$(SOAK_ENV) GPH_SOAK_SEQ=60 GPH_SOAK_PAR=40 GPH_SOAK_EXECS=100 tests/soak/soak.sh

check-core: unit integration lessons soak-short

# The same tests again, built with AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan-check:
	$(MAKE) BUILD=build-asan SAN="$(ASAN)" check-core

# Static and dynamic analysis (about 2 minutes): cppcheck on src/ with no findings (suppressions,
# each with its reason, in tests/lint/cppcheck.supp or at the line), the unit tests under valgrind
# memcheck with no errors and no definite or indirect leaks (tests/lint/valgrind-unit.sh), and
# every fuzz target for FUZZ_SHORT seconds (tests/fuzz/fuzz.mk).
CPPCHECK_FLAGS = -q -j2 --std=c11 --enable=warning,style,performance,portability --library=posix \
		 --inline-suppr --suppressions-list=tests/lint/cppcheck.supp --error-exitcode=1 -Iinclude
FUZZ_SHORT ?= 10
lint: test-deps
	cppcheck $(CPPCHECK_FLAGS) src/

# Valgrind needs the plain build (not the ASan one): build/unit-tests whatever BUILD says.
valgrind: test-deps
	$(MAKE) BUILD=build SAN= build/unit-tests
	tests/lint/valgrind-unit.sh build/unit-tests build/valgrind

check-analysis: lint valgrind
	$(MAKE) -j2 fuzz-build
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SHORT)

# The order: fast host tests first, then the sanitizer build, then the analysis lane, then the
# cgroup v2 kernel in qemu.
check: all
	$(MAKE) check-core
	$(MAKE) asan-check
	$(MAKE) check-analysis
	$(MAKE) check-v2

clean:
	rm -rf build build-asan build-fuzz gophernetes gophernetes-shell

distclean: clean
	rm -rf rootfs

include tests/v2vm/v2vm.mk
include tests/fuzz/fuzz.mk
