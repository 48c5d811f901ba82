# tests/fuzz/fuzz.mk — libFuzzer targets (issue 8, item 5), included at the end of the Makefile.
#
#   make fuzz                  build every target with clang (-fsanitize=fuzzer,address,undefined)
#                              and run each for FUZZ_SECONDS (default 30); fails on any crash,
#                              sanitizer report, leak or broken property
#   make fuzz FUZZ_SECONDS=10  the short form `make check` runs (through check-analysis)
#   make fuzz-regress          run only the kept inputs (seeds and past crashes), once each
#
# Targets (tests/fuzz/TARGET.c, seeds and regression inputs in tests/fuzz/corpus/TARGET/, a
# dictionary in tests/fuzz/TARGET.dict):
#   step    a REPL line: gph_split_words, gph_cmd_closest, gph_step_parse
#   lesson  gph_lesson_parse, gph_lesson_lint, gph_lesson_check
#   values  sizes, DEV:RATE, cpus, int ranges, cpu lists, hostnames, CIDRs
#   glob    gph_glob_match against an independent reference matcher
#   imgref  gph_ref_parse / gph_ref_format, gph_digest_valid, gph_member_clean
#   manifest  image manifest, index and image config JSON (src/image/manifest.c; json-c by dlopen)
#   unpack  gph_unpack of the input as a tar (sometimes gzip-wrapped) into a scratch directory, and
#           nothing outside it touched; its seeds are made at run time by tests/fuzz/unpack-seeds.py
# The engine (src/engine and src/image) is compiled with clang and instrumentation into an archive,
# so a target links only the objects it reaches (parsers, and what they call, such as the trace and
# fault helpers), whatever the engine's files call each other; libnl and libnftables are loaded with
# dlopen and never reached; libarchive and json-c are loaded with dlopen too (-ldl) and reached, but
# not instrumented. clang and libclang-rt-14-dev (libFuzzer itself) come with `make test-deps`. New
# inputs that libFuzzer finds go to $(FUZZ_BUILD)/corpus/TARGET, crashes to
# $(FUZZ_BUILD)/crashes/: a crash, once fixed in the product, is copied into
# tests/fuzz/corpus/TARGET/ as a regression input.
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := step lesson values glob imgref manifest unpack
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -Wall -Wextra -Werror -Iinclude -g -O1 $(FUZZ_SAN)
FUZZ_LIBS    := -lcap -lm -ldl

FUZZ_ENGINE_OBJ := $(ENGINE_SRC:src/%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS       := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)

.PHONY: fuzz fuzz-build fuzz-regress

$(FUZZ_BUILD)/%.o: src/%.c $(wildcard include/gph/*.h src/engine/*.h src/image/*.h) | test-deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(NL_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libgph-fuzz.a: $(FUZZ_ENGINE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz-%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_BUILD)/libgph-fuzz.a | test-deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libgph-fuzz.a $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	tests/fuzz/run.sh --bin $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-regress: fuzz-build
	tests/fuzz/run.sh --bin $(FUZZ_BUILD) --regress $(FUZZ_TARGETS)
