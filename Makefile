# SPDX-License-Identifier: MIT
# libtempfile - GNU make, nothing else.
#
#   make            library (static + shared), tools, examples, benchmark
#   make demo       build everything and run the tour (examples/)
#   make check      build and run every test; last line "N passed, N failed"
#   make asan       the whole suite under AddressSanitizer + UBSan
#   make valgrind   the whole suite under memcheck
#   make bench      peers + driver, writes BENCHMARKS.md
#   make install    PREFIX=/usr/local DESTDIR=
#
# Objects go to build/<compiler>/, so `make CC=musl-gcc check` and a gcc
# build never mix.

VERSION := $(shell sed -n 's/^\#define TF_VERSION_STRING "\(.*\)"/\1/p' include/tempfile.h)
MAJOR := $(word 1,$(subst ., ,$(VERSION)))

CC ?= cc
BUILD ?= build/$(notdir $(firstword $(CC)))
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BINDIR ?= $(PREFIX)/bin

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
SAN ?=
ALL_CFLAGS := -std=c99 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(CFLAGS) $(SAN)
LIB_CFLAGS := $(ALL_CFLAGS) -fPIC -fvisibility=hidden -DTF_BUILDING
LDLIBS := -pthread

SRC := $(wildcard src/*.c)
OBJ := $(SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(SRC:src/%.c=$(BUILD)/test-obj/%.o)
HDR := include/tempfile.h src/internal.h

STATIC := $(BUILD)/libtempfile.a
TEST_LIB := $(BUILD)/libtempfile-test.a
SONAME := libtempfile.so.$(MAJOR)
SHARED := $(BUILD)/libtempfile.so.$(VERSION)

TEST_SRC := $(wildcard tests/test_*.c) tests/harness.c
# The spool's model-based tests: the driver, and the source directory
# (for the fuzz corpus they replay) in the test binary only.
TEST_SRC += tests/spool_model.c
TEST_BIN := $(BUILD)/tests/unit
# One atomic replacement, run by the unit tests under strace.
TEST_HELPER := $(BUILD)/tests/atomic-writer
EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
BENCH_BIN := $(BUILD)/bench/tfbench
# The CLI, on the public API only; $(BUILD)/mktemp is a link to it, for
# the mktemp mode and its tests.
TMPF_SRC := $(wildcard tools/tmpf/*.c)
TMPF_BIN := $(BUILD)/tmpf
# Measures a command's peak memory for the CLI tests (no GNU time needed).
PEAK_RSS := $(BUILD)/tests/peak_rss

.PHONY: all lib demo check asan valgrind bench install uninstall clean
all: lib $(TMPF_BIN) $(PEAK_RSS) $(TEST_BIN) $(EXAMPLE_BIN) $(BENCH_BIN) $(BUILD)/tempfile.pc
lib: $(STATIC) $(SHARED)

$(BUILD)/obj/%.o: src/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c $< -o $@

$(BUILD)/test-obj/%.o: src/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -DTF_TESTING -c $< -o $@

$(STATIC): $(OBJ)
	rm -f $@ && ar rcs $@ $^

$(TEST_LIB): $(TEST_OBJ)
	rm -f $@ && ar rcs $@ $^

$(SHARED): $(OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) $(SAN) -o $@ $^ $(LDLIBS)
	ln -sf libtempfile.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libtempfile.so

PC_SED := sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'

$(BUILD)/tempfile.pc: tempfile.pc.in include/tempfile.h
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

$(TEST_BIN): tests/spool_model.h
$(TEST_BIN): private ALL_CFLAGS += -DTF_SOURCE_DIR='"$(CURDIR)"'
$(TEST_BIN): $(TEST_SRC) tests/harness.h $(TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DTF_TESTING -Iinclude -Isrc -o $@ $(TEST_SRC) $(TEST_LIB) $(LDLIBS)

$(TEST_BIN): $(TEST_HELPER)
$(TEST_HELPER): tests/atomic_writer.c $(HDR) $(TEST_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DTF_TESTING -Iinclude -Isrc -o $@ $< $(TEST_LIB) $(LDLIBS)

$(BUILD)/examples/%: examples/%.c examples/tour.h $(STATIC) include/tempfile.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude -o $@ $< $(STATIC) $(LDLIBS)

$(TMPF_BIN): $(TMPF_SRC) tools/tmpf/tmpf.h $(STATIC) include/tempfile.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude -o $@ $(TMPF_SRC) $(STATIC) $(LDLIBS)
	ln -sf tmpf $(BUILD)/mktemp

$(PEAK_RSS): tests/cli/peak_rss.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $<

$(BENCH_BIN): bench/tfbench.c bench/clock.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude -o $@ $< $(STATIC) $(LDLIBS)

# The tour runs with TMPDIR set to a fresh private directory, which must
# be empty at the end: every example removes what it made.
demo: all
	@tmp=$$(mktemp -d) || exit 1; \
	for e in $(EXAMPLE_BIN); do \
	  printf '\n##### %s\n' "$${e##*/}"; \
	  TMPDIR="$$tmp" "$$e" || { rm -rf "$$tmp"; exit 1; }; \
	done; \
	printf '\n##### 22_tmpf.sh\n'; \
	TMPDIR="$$tmp" sh examples/22_tmpf.sh $(CURDIR)/$(TMPF_BIN) || { rm -rf "$$tmp"; exit 1; }; \
	if [ -n "$$(ls -A "$$tmp")" ]; then \
	  echo "tour: left behind in the temp dir:"; ls -lAR "$$tmp"; \
	  rm -rf "$$tmp"; exit 1; \
	fi; \
	rmdir "$$tmp" && echo "tour: nothing left behind in the temp dir"

check: all
	@BUILD=$(BUILD) CC="$(CC)" SAN="$(SAN)" sh tests/run-all.sh

asan:
	$(MAKE) BUILD=build/asan CC="$(CC)" SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" check

valgrind:
	$(MAKE) BUILD=build/valgrind CC="$(CC)" all
	@BUILD=build/valgrind CC="$(CC)" TF_TEST_WRAP="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-fds=yes --error-exitcode=1" TF_TEST_TIME_SCALE=20 sh tests/run-all.sh

bench: all
	sh bench/run.sh $(BENCH_BIN)

install: lib $(TMPF_BIN)
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(TMPF_BIN) $(DESTDIR)$(BINDIR)/
	install -m 644 include/tempfile.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libtempfile.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libtempfile.so
	$(PC_SED) tempfile.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/tempfile.pc
	install -m 644 man/*.3 $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/tmpf.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tmpf $(DESTDIR)$(MANDIR)/man1/tmpf.1
	rm -f $(DESTDIR)$(INCLUDEDIR)/tempfile.h
	rm -f $(DESTDIR)$(LIBDIR)/libtempfile.a $(DESTDIR)$(LIBDIR)/libtempfile.so*
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/tempfile.pc
	for m in man/*.3; do rm -f $(DESTDIR)$(MANDIR)/man3/$${m##*/}; done

clean:
	rm -rf build

# make fuzz: the spool's libFuzzer target (fuzz/), built with clang
# against the library sources in their test build; not part of all or
# check (CI has gcc only).  Runs FUZZ_SECONDS on a scratch copy of the
# corpus (new inputs go to build/fuzz/corpus, not to the committed one).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BIN := build/fuzz/spool_fuzz

.PHONY: fuzz
fuzz: $(FUZZ_BIN)
	@mkdir -p build/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=60 \
	  -artifact_prefix=build/fuzz/ build/fuzz/corpus fuzz/corpus/spool

$(FUZZ_BIN): fuzz/spool_fuzz.c tests/spool_model.c tests/spool_model.h $(SRC) $(HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c99 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -O1 -g \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -DTF_TESTING -Iinclude -Isrc -Itests -o $@ fuzz/spool_fuzz.c \
	  tests/spool_model.c $(SRC) $(LDLIBS)
