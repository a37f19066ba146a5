# SPDX-License-Identifier: MIT
# mk/windows.mk - the Windows target, included by the Makefile when CC
# makes Windows programs (mingw-w64: make CC=x86_64-w64-mingw32-gcc).
#
#   make CC=x86_64-w64-mingw32-gcc          libtempfile.a, libtempfile-1.dll
#                                           and its import library
#                                           libtempfile.dll.a, tempfile.pc,
#                                           tmpf.exe, the tests and the tour
#   make CC=x86_64-w64-mingw32-gcc check    the tests, each test in its own
#                                           process, under $(CROSS_RUN)
#   make CC=x86_64-w64-mingw32-gcc demo     the tour programs of this target
#   make CC=x86_64-w64-mingw32-gcc bench    libtempfile against the floor
#   make CC=x86_64-w64-mingw32-gcc install  DLL and tmpf.exe to bin/,
#                                           libraries to lib/
#
# CROSS_RUN names the runner (on Linux: wine64, found by default); every
# run gets a fresh WINEPREFIX.  The library is C99 and the Windows API:
# the portable files (src/name.c, opts.c, error.c, scope.c, heap.c) and
# src/win/.
# Every call the header declares on Windows, and tmpf.exe.

EXE := .exe
WIN_LIBS := -lbcrypt -lntdll -ladvapi32
ifeq ($(CROSS_RUN),)
CROSS_RUN := $(firstword $(wildcard /usr/lib/wine/wine64) $(shell command -v wine64 2>/dev/null))
endif

WIN_CPPFLAGS := -Iinclude
WIN_COMPILE = $(CC) $(WIN_CPPFLAGS) $(CPPFLAGS) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP
WIN_LINK = $(CC) $(BASE_CFLAGS) $(CFLAGS) $(LDFLAGS)

# The POSIX library's files the Windows build shares beyond the portable
# core (spooled files, pools, the write loop): they include internal.h,
# which is POSIX, so src/win/internal_win.h is forced in first and stands
# in for it (it explains how).
WIN_SHARED_SRC := src/spool.c src/spool_disk.c src/spool_pending.c \
  src/membuf.c src/pool.c src/write_all.c
$(WIN_SHARED_SRC:src/%.c=$(BUILD)/obj/%.o): WIN_CPPFLAGS += -include src/win/internal_win.h

SRC := src/name.c src/opts.c src/error.c src/scope.c src/heap.c \
  $(WIN_SHARED_SRC) $(wildcard src/win/*.c)
OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))

STATIC := $(BUILD)/libtempfile.a
DLL := $(BUILD)/libtempfile-$(MAJOR).dll
IMPLIB := $(BUILD)/libtempfile.dll.a

WIN_TEST_SRC := $(wildcard tests/win/*.c)
WIN_TEST_OBJ := $(WIN_TEST_SRC:tests/win/%.c=$(BUILD)/tests/obj/%.o)
TEST_BIN := $(BUILD)/tests/unit$(EXE)

# The tour: every program builds for Windows.
WIN_EXAMPLES := $(patsubst examples/%.c,%,$(sort $(wildcard examples/*.c)))
EXAMPLE_BIN := $(WIN_EXAMPLES:%=$(BUILD)/examples/%$(EXE))
BENCH_BIN := $(BUILD)/bench/winbench$(EXE)

# The CLI, on the public API only: the portable subcommand files, with
# Windows counterparts (*_win.c) for what is POSIX-only (run, sponge, the
# candidate list of dir, the UTF-16 command line).  Linked with the
# static library, so it runs without the DLL beside it.
TMPF_SRC := $(filter-out tools/tmpf/run.c tools/tmpf/sponge.c,$(wildcard tools/tmpf/*.c))
TMPF_OBJ := $(TMPF_SRC:tools/tmpf/%.c=$(BUILD)/tmpf-obj/%.o)
TMPF_BIN := $(BUILD)/tmpf$(EXE)

.PHONY: all lib tmpf tests examples demo check clean features bench install uninstall
.SECONDARY:
all: lib tmpf tests examples $(BENCH_BIN) $(BUILD)/tempfile.pc
lib: $(STATIC) $(DLL)
tmpf: $(TMPF_BIN)
tests: $(TEST_BIN) $(TMPF_BIN)
examples: $(EXAMPLE_BIN)

$(BUILD)/obj/%.o: src/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(WIN_COMPILE) -DTF_BUILDING -c $< -o $@

$(STATIC): $(OBJ)
	$(say) AR $@
	$(Q)rm -f $@ && $(AR) rc $@ $^ && $(RANLIB) $@

$(DLL): $(OBJ)
	$(say) LD $@
	$(Q)$(WIN_LINK) -shared -o $@ -Wl,--out-implib,$(IMPLIB) $(OBJ) $(WIN_LIBS) $(LDLIBS)

$(BUILD)/tempfile.pc: tempfile.pc.in include/tempfile.h
	@mkdir -p $(@D)
	$(Q)$(PC_SED) -e 's|^Libs.private:.*|Libs.private: $(WIN_LIBS)|' $< > $@

# The tests see the library's private headers (src/win/win.h) and link
# the static library, whose internals they call.
$(BUILD)/tests/obj/%.o: tests/win/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(WIN_COMPILE) -D__USE_MINGW_ANSI_STDIO=1 -Isrc -Itests/win -c $< -o $@

$(TEST_BIN): $(WIN_TEST_OBJ) $(STATIC)
	$(say) LD $@
	$(Q)$(WIN_LINK) -o $@ $(WIN_TEST_OBJ) $(STATIC) $(WIN_LIBS) $(LDLIBS)

$(BUILD)/tmpf-obj/%.o: tools/tmpf/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(WIN_COMPILE) -D__USE_MINGW_ANSI_STDIO=1 -c $< -o $@

# wmain (main_win.c): the arguments as UTF-16.
$(TMPF_BIN): $(TMPF_OBJ) $(STATIC)
	$(say) LD $@
	$(Q)$(WIN_LINK) -municode -o $@ $(TMPF_OBJ) $(STATIC) $(WIN_LIBS) $(LDLIBS)

$(BUILD)/examples/%.o: examples/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(WIN_COMPILE) -D__USE_MINGW_ANSI_STDIO=1 -c $< -o $@

$(BUILD)/examples/%$(EXE): $(BUILD)/examples/%.o $(STATIC)
	$(say) LD $@
	$(Q)$(WIN_LINK) -o $@ $^ $(WIN_LIBS) $(LDLIBS)

$(BUILD)/bench/%.o: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(WIN_COMPILE) -D__USE_MINGW_ANSI_STDIO=1 -c $< -o $@

$(BENCH_BIN): $(BUILD)/bench/winbench.o $(STATIC)
	$(say) LD $@
	$(Q)$(WIN_LINK) -o $@ $^ $(WIN_LIBS) $(LDLIBS)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)

# Each test runs in its own process (the harness starts itself once per
# test); tests/win/run.sh gives the run a fresh WINEPREFIX, and the CLI's
# tests the path of tmpf.exe (TF_TMPF).
check: all
	@BUILD=$(BUILD) TF_TEST_ONLY="$(T)" TF_TEST_WRAP="$(CROSS_RUN)" TF_TMPF="$(TMPF_BIN)" \
	  sh tests/win/run.sh $(TEST_BIN) $(DLL) "$(CC)"

# The command line's tour, examples/22_tmpf.cmd, runs with tmpf.exe.
demo: lib examples $(TMPF_BIN)
	@BUILD=$(BUILD) TF_TEST_WRAP="$(CROSS_RUN)" TF_TOUR_TMPF="$(TMPF_BIN)" \
	  sh tests/win/run.sh --tour $(EXAMPLE_BIN)

# libtempfile against the floor and the system's own calls (medians and
# ratios; under Wine the times are Wine's: compare the ratios).
bench: $(BENCH_BIN)
	@BUILD=$(BUILD) TF_TEST_WRAP="$(CROSS_RUN)" sh tests/win/run.sh --bench $(BENCH_BIN)

# As mingw-w64 packages lay it out: the DLL in bin/, the static and
# import libraries in lib/.
install: lib tmpf $(BUILD)/tempfile.pc
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR)
	$(INSTALL) -m 644 include/tempfile.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 644 $(STATIC) $(IMPLIB) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 755 $(DLL) $(TMPF_BIN) $(DESTDIR)$(BINDIR)/
	$(PC_SED) -e 's|^Libs.private:.*|Libs.private: $(WIN_LIBS)|' tempfile.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/tempfile.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/tempfile.h $(DESTDIR)$(BINDIR)/$(notdir $(DLL))
	rm -f $(DESTDIR)$(BINDIR)/$(notdir $(TMPF_BIN))
	rm -f $(DESTDIR)$(LIBDIR)/libtempfile.a $(DESTDIR)$(LIBDIR)/libtempfile.dll.a
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/tempfile.pc

features:
	@echo "WINDOWS=1"

clean:
	rm -rf build
