# tests/v2vm/v2vm.mk — the cgroup v2 lane (issue 3, item 6), included at the end of the Makefile.
#
#   make check-v2     boot Debian's cloud kernel in qemu (TCG) with cgroup_no_v1=all and run the
#                     integration tests, a v2 mode check, a v2 OOM check and lesson replay inside;
#                     fails with the reason when it cannot run (never passes silently)
#   make v2vm-deps    install what the lane needs (qemu-system-x86) when it is missing
#
# Knobs (environment or make variables): V2VM_TIMEOUT (seconds for the whole boot, default 600),
# V2VM_TESTS (t-*.sh files to run, default all), V2VM_STEPS (default "mode oom suite lessons
# leftovers"), V2VM_CGROUP (root: tests run in the root cgroup, the default; nested: in a
# non-root cgroup that holds processes, as under systemd or docker), V2VM_FILE_TIMEOUT
# (seconds per test file inside the VM, default 300). Everything goes to build/v2vm/.
V2VM_PKGS := qemu-system-x86 busybox-static
V2VM_DIR  ?= build/v2vm

.PHONY: check-v2 v2vm-deps

# Installs what is missing; does nothing when everything is there (like `deps`).
v2vm-deps:
	@missing=""; for p in $(V2VM_PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing — run `make v2vm-deps` as root"; exit 1; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# The programs of $(BUILD) go into the VM (so `make BUILD=build-asan SAN=... check-v2` runs the
# sanitizer build there).
check-v2: v2vm-deps test-deps $(BUILD)/gophernetes $(BUILD)/gophernetes-shell $(BUILD)/probe $(BUILD)/escape $(BUILD)/escape32 rootfs/bin/busybox rootfs/bin/escape-chroot
	tests/v2vm/run.sh --bin $(BUILD) --out $(V2VM_DIR)
