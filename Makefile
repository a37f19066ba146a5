# SPDX-License-Identifier: MIT
# libtempfile - GNU make, nothing else.
#
#   make            library (static + shared), tmpf, tests, examples, benchmark
#   make demo       build the library and the tour, and run the tour
#   make check      build and run every test, in parallel on every core
#                   (J=1 one at a time; T=WORD only the tests and suites whose
#                   name contains WORD); last line "N passed, N failed"
#   make asan       the whole suite under AddressSanitizer + UBSan
#   make valgrind   the whole suite under memcheck
#   make bench      peers + driver, writes BENCHMARKS.md and its chart
#   make install    PREFIX=/usr/local DESTDIR= (and LIBDIR, BINDIR, ...)
#
# The GNU and distribution conventions hold: CPPFLAGS, CFLAGS (compile and
# link), LDFLAGS, LDLIBS, AR, RANLIB, INSTALL and the directory variables
# are the user's.  WERROR=1 turns warnings into errors; V=1 shows the
# compiler's command lines.
#
# PROFILE=posix builds the portable profile (build/<compiler>-posix): every
# Linux-only feature off (src/platform.h lists them), funopen() from
# libbsd for the streams; the code paths of the BSDs and macOS, run here.
# CROSS_RUN=CMD runs a cross-compiled build's programs through CMD, a
# qemu-user emulator (qemu-s390x -L /usr/s390x-linux-gnu, qemu-i386 -L /):
# the unit tests (and the helper they strace), the header's and install's
# programs; the command line's scripts, which need a native tmpf, are
# skipped with the reason (tests/run-all.sh).
#
# Objects go to build/<compiler>/ (CC with its options, e.g. build/cc,
# build/gcc-m32), and that directory remembers the compiler and flags it
# was built with: any change rebuilds everything in it, so objects made
# with other flags are never reused.

VERSION := $(shell sed -n 's/^\#define TF_VERSION_STRING "\(.*\)"/\1/p' include/tempfile.h)
MAJOR := $(word 1,$(subst ., ,$(VERSION)))

CC ?= cc
AR ?= ar
RANLIB ?= ranlib
INSTALL ?= install
CFLAGS ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
LDLIBS ?=
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BINDIR ?= $(PREFIX)/bin
WERROR ?=
SAN ?=
J ?=
T ?=
PROFILE ?=
CROSS_RUN ?=

empty :=
space := $(empty) $(empty)
BUILD_NAME := $(subst /,_,$(subst $(space),,$(notdir $(firstword $(CC))) $(wordlist 2,99,$(CC))))
# CRASH_MUTANT=nofsync|nodirsync: a library without one of tf_atomic's
# syncs, in a build directory of its own, for make crashcheck to prove
# that it finds what the sync is for (tests/crash/README.md).
CRASH_MUTANT ?=
ifneq ($(filter-out nofsync nodirsync,$(CRASH_MUTANT)),)
$(error CRASH_MUTANT=$(CRASH_MUTANT): the mutants are nofsync and nodirsync)
endif
BUILD ?= build/$(BUILD_NAME)$(if $(PROFILE),-$(PROFILE))$(if $(CRASH_MUTANT),-mutant-$(CRASH_MUTANT))

ifeq ($(PROFILE),posix)
PROFILE_CPPFLAGS := -DTF_PROFILE_POSIX
PROFILE_LDLIBS := -lbsd
else ifneq ($(PROFILE),)
$(error PROFILE=$(PROFILE): the only profile is posix)
endif

# ---- flags: ours first, the user's after them so theirs win
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
BASE_CPPFLAGS := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Iinclude $(PROFILE_CPPFLAGS) \
  $(if $(CRASH_MUTANT),-DTF_CRASH_MUTANT_$(shell echo $(CRASH_MUTANT) | tr a-z A-Z))
BASE_CFLAGS := -std=c99 $(WARN)
COMPILE = $(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) $(SAN) -MMD -MP
LIB_COMPILE = $(COMPILE) -fPIC -fvisibility=hidden -DTF_BUILDING
LINK = $(CC) $(BASE_CFLAGS) $(CFLAGS) $(SAN) $(LDFLAGS)
# (and what the profile's platform calls need: libbsd's funopen)
THREADS := -pthread $(PROFILE_LDLIBS)

# ---- quiet by default: one short line per step ("make -s": none)
ifeq ($(V),1)
Q :=
say :=
else
Q := @
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
say := @:
else
say = @printf '  %-7s %s\n'
endif
endif

# ---- the flags this build directory was made with: rewritten (and so
# newer than every object) whenever they change
FLAGS_LINE := $(CC)|$(PROFILE)|$(CRASH_MUTANT)|$(CPPFLAGS)|$(CFLAGS)|$(LDFLAGS)|$(LDLIBS)|$(SAN)|$(WERROR)|$(AR)
FLAGS_STAMP := $(BUILD)/flags
ifneq ($(file <$(FLAGS_STAMP)),$(FLAGS_LINE))
$(shell mkdir -p $(BUILD))
$(file >$(FLAGS_STAMP),$(FLAGS_LINE))
endif

# ---- Windows (mingw-w64): its own rules, in mk/windows.mk
TARGET_OS := $(if $(findstring mingw,$(shell $(CC) -dumpmachine 2>/dev/null)),windows,posix)
PC_SED := sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'
ifeq ($(TARGET_OS),windows)
include mk/windows.mk
else

# ---- what is built
SRC := $(wildcard src/*.c)
OBJ := $(SRC:src/%.c=$(BUILD)/obj/%.o)

STATIC := $(BUILD)/libtempfile.a
SONAME := libtempfile.so.$(MAJOR)
SHARED := $(BUILD)/libtempfile.so.$(VERSION)
SHARED_LINKS := $(BUILD)/$(SONAME) $(BUILD)/libtempfile.so

# The unit tests: one object per test file, linked with the library
# users get; the fault injector (tests/fault.c) overrides the entries of
# its system-call table at run time.
TEST_SRC := $(wildcard tests/test_*.c) tests/harness.c tests/spool_model.c \
  tests/fault.c
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tests/obj/%.o)
TEST_BIN := $(BUILD)/tests/unit
# One atomic replacement, run by the unit tests under strace.
TEST_HELPER := $(BUILD)/tests/atomic-writer
# Measures a command's peak memory for the CLI tests (no GNU time needed).
PEAK_RSS := $(BUILD)/tests/peak_rss
# Runs the CLI tests with every signal at its default (under nohup too).
DEFAULT_SIGNALS := $(BUILD)/tests/default-signals

EXAMPLE_SRC := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
BENCH_BIN := $(BUILD)/bench/tfbench
STREAM_BIN := $(BUILD)/bench/tfstream
# The first-call workload: two one-file programs that make one temporary
# file each and exit (libtempfile's tf_mkstemp, glibc's mkstemp), built
# and linked the same way, and tfspawn, which times them as whole
# processes.
FIRST_CALL_BIN := $(BUILD)/bench/first-call-tf $(BUILD)/bench/first-call-glibc
SPAWN_BIN := $(BUILD)/bench/tfspawn

# The CLI, on the public API only.  Linked twice from the same objects:
# $(BUILD)/dist/tmpf, the one installed, with the shared library (as a
# distribution ships it; no rpath); $(BUILD)/tmpf, for the tests and the
# tour, with the static one, so that it runs from anywhere: the tests
# copy it, run it as another user who may not reach the build directory,
# and take /proc away.  $(BUILD)/mktemp is a link to it, for mktemp mode.
# (tools/tmpf/*_win.c are the Windows build's: mk/windows.mk.)
TMPF_SRC := $(filter-out %_win.c,$(wildcard tools/tmpf/*.c))
TMPF_OBJ := $(TMPF_SRC:tools/tmpf/%.c=$(BUILD)/tmpf-obj/%.o)
TMPF_BIN := $(BUILD)/tmpf
TMPF_DIST := $(BUILD)/dist/tmpf

# The crash checker (tests/crash/README.md): records the scenarios
# through the library's system-call table and explores the states a
# power cut could leave.  tmpf's objects are linked in for `tmpf sponge`,
# with its main() renamed.
CRASH_SRC := $(wildcard tests/crash/*.c)
CRASH_OBJ := $(CRASH_SRC:tests/%.c=$(BUILD)/tests/obj/%.o) $(BUILD)/tests/obj/crash/tmpf_main.o \
  $(filter-out %/main.o,$(TMPF_OBJ))
CRASH_BIN := $(BUILD)/tests/crashcheck

# The platform switches this build was made with (src/platform.h), a
# NAME=0|1 line each: for the tests of one code path, the benchmark's
# report and `make features`.  From the preprocessor, so a cross build
# has it too.
FEATURES := $(BUILD)/features

.PHONY: all lib tmpf examples tests demo check asan valgrind bench install uninstall clean \
  features
# Objects made through a pattern chain (examples/x.c -> x.o -> x) are kept.
.SECONDARY:
all: lib tmpf tests examples $(BENCH_BIN) $(STREAM_BIN) $(FIRST_CALL_BIN) $(SPAWN_BIN) \
  $(BUILD)/tempfile.pc $(FEATURES)
lib: $(STATIC) $(SHARED)
tmpf: $(TMPF_BIN) $(TMPF_DIST)
examples: $(EXAMPLE_BIN)
tests: $(TEST_BIN) $(TEST_HELPER) $(PEAK_RSS) $(DEFAULT_SIGNALS) $(TMPF_BIN) $(CRASH_BIN)

# ---- compiling
$(BUILD)/obj/%.o: src/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(LIB_COMPILE) -c $< -o $@

$(BUILD)/tests/obj/%.o: tests/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -Isrc -c $< -o $@

# The spool's model replays the fuzz corpus from the source tree.
$(BUILD)/tests/obj/test_spool_diff.o: COMPILE += -DTF_SOURCE_DIR='"$(CURDIR)"'

# The contract test has an entry per function the header declares
# TF_EXTERN; the list comes from the header (tests/contract/list.sh), so
# a new function without an entry fails make check.
$(BUILD)/tests/contract_names.inc: include/tempfile.h tests/contract/list.sh
	@mkdir -p $(@D)
	$(Q)sh tests/contract/list.sh include/tempfile.h --c > $@.tmp && mv $@.tmp $@
$(BUILD)/tests/obj/test_contract.o: $(BUILD)/tests/contract_names.inc
$(BUILD)/tests/obj/test_contract.o: COMPILE += -I$(BUILD)/tests

$(BUILD)/tmpf-obj/%.o: tools/tmpf/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -c $< -o $@

$(FEATURES): src/platform.h $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(Q)printf '#include "platform.h"\n#define X(n, v) TF_FEATURE n v\nTF_PLATFORM_SWITCHES(X)\n' | \
	  $(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) -Isrc -E -P -x c - | grep TF_FEATURE | \
	  sed -e 's/TF_FEATURE/\n/g' -e 's/"//g' | while read -r n v; do \
	    [ -n "$$n" ] && echo "$$n=$$(( $$v ))"; done > $@.tmp && mv $@.tmp $@

features: $(FEATURES)
	@cat $(FEATURES)

# ---- libraries
$(STATIC): $(OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rc $@ $^ && $(RANLIB) $@

$(SHARED): $(OBJ) src/libtempfile.map
	$(say) LD $@
	$(Q)$(LINK) -shared -Wl,-soname,$(SONAME) \
	  -Wl,--version-script,src/libtempfile.map -o $@ $(OBJ) $(THREADS) $(LDLIBS)
	@ln -sf libtempfile.so.$(VERSION) $(BUILD)/$(SONAME)
	@ln -sf $(SONAME) $(BUILD)/libtempfile.so

$(BUILD)/tempfile.pc: tempfile.pc.in include/tempfile.h
	@mkdir -p $(@D)
	$(Q)$(PC_SED) $< > $@

# ---- programs
$(TEST_BIN): $(TEST_OBJ) $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $(TEST_OBJ) $(STATIC) $(THREADS) $(LDLIBS)

$(CRASH_BIN): $(CRASH_OBJ) $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $(CRASH_OBJ) $(STATIC) $(THREADS) $(LDLIBS)

$(BUILD)/tests/obj/crash/%.o: tests/crash/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -Isrc -c $< -o $@

$(BUILD)/tests/obj/crash/tmpf_main.o: tools/tmpf/main.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -Dmain=tmpf_cli_main -Wno-missing-prototypes -c $< -o $@

$(TEST_HELPER): $(BUILD)/tests/obj/atomic_writer.o $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(THREADS) $(LDLIBS)

$(PEAK_RSS): $(BUILD)/tests/obj/peak_rss.o
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(LDLIBS)

$(DEFAULT_SIGNALS): $(BUILD)/tests/obj/default_signals.o
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/obj/peak_rss.o: tests/cli/peak_rss.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -c $< -o $@

$(BUILD)/examples/%: $(BUILD)/examples/%.o $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(THREADS) $(LDLIBS)

$(BUILD)/examples/%.o: examples/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -c $< -o $@

$(TMPF_BIN): $(TMPF_OBJ) $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $(TMPF_OBJ) $(STATIC) $(THREADS) $(LDLIBS)
	@ln -sf tmpf $(BUILD)/mktemp

$(TMPF_DIST): $(TMPF_OBJ) $(SHARED)
	@mkdir -p $(@D)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $(TMPF_OBJ) -L$(BUILD) -ltempfile $(THREADS) $(LDLIBS)

$(BENCH_BIN): $(BUILD)/bench/tfbench.o $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(THREADS) $(LDLIBS)

$(BUILD)/bench/tfbench.o: bench/tfbench.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -c $< -o $@

$(STREAM_BIN): $(BUILD)/bench/tfstream.o $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(THREADS) $(LDLIBS)

$(BUILD)/bench/tfstream.o: bench/tfstream.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -c $< -o $@

# Both dynamically linked against libc and given libtempfile.a, from
# which only first-call-tf takes anything: no shared object beyond libc's
# is loaded by either.
$(FIRST_CALL_BIN): $(BUILD)/bench/%: $(BUILD)/bench/%.o $(STATIC)
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(THREADS) $(LDLIBS)

$(SPAWN_BIN): $(BUILD)/bench/tfspawn.o
	$(say) LD $@
	$(Q)$(LINK) -o $@ $^ $(LDLIBS)

$(FIRST_CALL_BIN:%=%.o) $(SPAWN_BIN).o: $(BUILD)/bench/%.o: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(COMPILE) -c $< -o $@

# Header dependencies, written by the compiler (-MMD -MP).
-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)

# ---- running
# The tour runs with TMPDIR set to a fresh private directory, which must
# be empty at the end: every example removes what it made.  It builds
# only what the tour needs, silently (V=1 shows the compiler lines).
DEMO_MAKE := $(if $(filter 1,$(V)),$(MAKE),$(MAKE) -s)
demo:
	@$(DEMO_MAKE) lib tmpf examples
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

# J: how many tests run at once (default: every core).
check: all
	@BUILD=$(BUILD) CC="$(CC)" SAN="$(SAN)" TF_TEST_JOBS="$(J)" TF_TEST_ONLY="$(T)" \
	  TF_TEST_WRAP="$(CROSS_RUN)" PROFILE="$(PROFILE)" TF_TEST_LIBS="$(PROFILE_LDLIBS)" \
	  MAKE="$(MAKE)" sh tests/run-all.sh

# The crash checker in full: every scenario, all its crash states up to
# 65536, else 10000 at random, under each model (make check runs the
# quick form).  With CRASH_MUTANT=nofsync or nodirsync it must fail:
# crashcheck-mutants builds and runs both and passes only if each one
# reports violations.
.PHONY: crashcheck crashcheck-mutants
crashcheck: $(CRASH_BIN)
	$(CROSS_RUN) $(CRASH_BIN)

crashcheck-mutants:
	@for m in nofsync nodirsync; do \
	  $(MAKE) -s CC="$(CC)" CRASH_MUTANT=$$m $(BUILD)-mutant-$$m/tests/crashcheck \
	    BUILD=$(BUILD)-mutant-$$m || exit 2; \
	  $(CROSS_RUN) $(BUILD)-mutant-$$m/tests/crashcheck --quick > $(BUILD)-mutant-$$m/crash.log; \
	  rc=$$?; v=$$(grep -c '^    violation' $(BUILD)-mutant-$$m/crash.log); \
	  if [ $$rc -eq 1 ] && [ "$$v" -gt 0 ]; then \
	    echo "ok   crash_mutant_$$m: $$v scenario-model pairs broke a promise; the first of each model:"; \
	    awk '/^[^ ]/ {on = 0; last = $$0} \
	      /^    violation/ && !($$2 in seen) {seen[$$2] = 1; on = 1; print last} \
	      on' $(BUILD)-mutant-$$m/crash.log; \
	  else \
	    echo "FAIL crash_mutant_$$m: exit $$rc, $$v violations (the checker missed the mutation)"; exit 1; \
	  fi; \
	done

# ABI (libabigail; abi/check.sh says how): abi/libtempfile.so.1.abi is
# the committed baseline of the shared library's ABI, written by
# `make abi-baseline` from the default build (gcc, x86-64, -g).
# `make abi-check` (also run by make check when abidiff is installed,
# and by CI) checks the soname, that every exported tf_ symbol is
# versioned (LIBTEMPFILE_1.0) and declared in the header, and compares
# the library with the baseline: any abidiff difference fails, the
# incompatible ones (status bit 8: a removed function) and the other
# changes (bit 4) alike.  So when the ABI grows, the same change must run
# make abi-baseline and commit the new baseline; a changed public struct
# is a new major version.
.PHONY: abi-baseline abi-check
abi-baseline: $(SHARED)
	sh abi/check.sh baseline $(SHARED)

abi-check: $(SHARED)
	@sh abi/check.sh --require all $(SHARED)

# ASan makes the code about 3 times slower: the races paced against a
# walker keep their pace (as valgrind's 20 below).
asan:
	TF_TEST_TIME_SCALE=3 $(MAKE) BUILD=build/asan CC="$(CC)" SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" check

valgrind:
	$(MAKE) BUILD=build/valgrind CC="$(CC)" all
	@BUILD=build/valgrind CC="$(CC)" TF_TEST_JOBS="$(J)" TF_TEST_ONLY="$(T)" MAKE="$(MAKE)" \
	  TF_TEST_WRAP="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-fds=yes --error-exitcode=1" \
	  TF_TEST_TIME_SCALE=20 sh tests/run-all.sh

bench: all
	sh bench/run.sh $(BENCH_BIN)

# ---- installing
install: lib tmpf
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 755 $(TMPF_DIST) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 644 include/tempfile.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libtempfile.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libtempfile.so
	$(PC_SED) tempfile.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/tempfile.pc
	$(INSTALL) -m 644 man/*.3 $(DESTDIR)$(MANDIR)/man3/
	$(INSTALL) -m 644 man/tmpf.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tmpf $(DESTDIR)$(MANDIR)/man1/tmpf.1
	rm -f $(DESTDIR)$(INCLUDEDIR)/tempfile.h
	rm -f $(DESTDIR)$(LIBDIR)/libtempfile.a $(DESTDIR)$(LIBDIR)/libtempfile.so*
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/tempfile.pc
	for m in man/*.3; do rm -f $(DESTDIR)$(MANDIR)/man3/$${m##*/}; done

clean:
	rm -rf build

# make fuzz: the spool's libFuzzer target (fuzz/), built with clang
# and linked with the library built as users get it (in build/fuzz/lib,
# instrumented for coverage) and the tests' fault injector; not part of
# all or check.  Runs FUZZ_SECONDS on a scratch copy of the corpus (new inputs go
# to build/fuzz/corpus, not to the committed one).
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BIN := build/fuzz/spool_fuzz
FUZZ_LIB := build/fuzz/lib/libtempfile.a
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: fuzz
fuzz: $(FUZZ_BIN)
	@mkdir -p build/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -timeout=60 \
	  -artifact_prefix=build/fuzz/ build/fuzz/corpus fuzz/corpus/spool

$(FUZZ_BIN): fuzz/spool_fuzz.c tests/spool_model.c tests/spool_model.h tests/fault.c \
	    tests/fault.h $(SRC) $(wildcard src/*.h) include/tempfile.h
	@mkdir -p $(@D)
	$(MAKE) BUILD=build/fuzz/lib CC="$(FUZZ_CC)" CFLAGS="-O1 -g" \
	  SAN="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_LIB)
	$(FUZZ_CC) -std=c99 $(BASE_CPPFLAGS) $(WARN) -O1 -g \
	  -fsanitize=fuzzer $(FUZZ_SAN) -Isrc -Itests -o $@ fuzz/spool_fuzz.c \
	  tests/spool_model.c tests/fault.c $(FUZZ_LIB) $(THREADS)

endif # TARGET_OS
