# backing.h: build, test, bench. Outputs go to build/.
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror
B       := build

CLANG   ?= clang
TEST_SRC := $(wildcard tests/*.c) $(wildcard tests/*.h) backing.h

.PHONY: all demo test check asan tsan valgrind soak examples bench format format-check clean fuzz \
  install uninstall

all: $(B)/tests examples

$(B):
	mkdir -p $(B)

# The whole suite: compile matrix, examples, ASan+UBSan run, plain run. Last line counts.
test:
	@sh tests/run.sh

# ---- the test binaries: the one place their compilers and flags are written ------------
# tests/run.sh builds each of its stages' binaries with `make -B CC=gcc build/<name>`, and
# the targets below (check, asan, tsan, valgrind, soak, fuzz) use the same rules.
$(B)/tests: $(TEST_SRC) | $(B)
	$(CC) -std=c11 $(CFLAGS) $(WARN) -pthread -o $@ tests/main.c
# AddressSanitizer + UndefinedBehaviorSanitizer
$(B)/tests-asan: $(TEST_SRC) | $(B)
	$(CLANG) -std=c11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  -fno-omit-frame-pointer $(WARN) -pthread -o $@ tests/main.c
$(B)/tests-tsan: $(TEST_SRC) | $(B)
	$(CLANG) -std=c11 -O1 -g -fsanitize=thread $(WARN) -pthread -o $@ tests/main.c
# optimised, asserts off
$(B)/tests-release: $(TEST_SRC) | $(B)
	$(CC) -std=c11 -O2 -DNDEBUG $(WARN) -pthread -o $@ tests/main.c
# i386: needs a compiler that links -m32 (gcc-multilib)
$(B)/tests-m32: $(TEST_SRC) | $(B)
	$(CC) -m32 -std=c11 -O1 -g $(WARN) -pthread -o $@ tests/main.c
# for valgrind: a smaller address-space reservation
$(B)/tests-vg: $(TEST_SRC) | $(B)
	$(CC) -std=c11 -O1 -g $(WARN) -pthread -DBACKING_RESERVE='(1ull<<32)' -o $@ tests/main.c
# the crash-point sweep
$(B)/crashpoints: $(TEST_SRC) | $(B)
	$(CC) -std=c11 -O2 -g -DBACKING_TEST_CRASH_POINTS $(WARN) -pthread -o $@ tests/crashpoints.c
# the instruction-level kill sweep
$(B)/sweep: $(TEST_SRC) | $(B)
	$(CC) -std=c11 -O2 -g $(WARN) -pthread -o $@ tests/sweep.c
# BACKING_DEBUG's trap on a bad accessor address
# memory checkers inside a store (tests/poison.c): ASan with BACKING_POISON, memcheck
$(B)/poison-asan: tests/poison.c backing.h | $(B)
	$(CLANG) -std=c11 -O1 -g -fsanitize=address -DBACKING_POISON $(WARN) -o $@ tests/poison.c
$(B)/poison-vg: tests/poison.c backing.h | $(B)
	$(CC) -std=c11 -O1 -g -DBACKING_VALGRIND $(WARN) -o $@ tests/poison.c
$(B)/debug_trap: tests/debug_trap.c backing.h | $(B)
	$(CC) -std=c11 -O1 $(WARN) -o $@ tests/debug_trap.c
# the libFuzzer harnesses
$(B)/fuzz_%: tests/fuzz/fuzz_%.c backing.h | $(B)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(WARN) \
	  -I. -o $@ $<

# Just the plain test binary (quicker than `make test`).
check: $(B)/tests
	$(B)/tests

asan: $(B)/tests-asan
	$(B)/tests-asan

# ThreadSanitizer over every GC test (gc_*) and every test with "thread" in its name
# (tests/run.sh runs the same set).
tsan: $(B)/tests-tsan
	TSAN_OPTIONS=$${TSAN_OPTIONS:-exitcode=66:halt_on_error=0} \
	  $(B)/tests-tsan $$($(B)/tests-tsan --list | grep -E '^gc_|thread')

# libFuzzer harnesses (tests/fuzz/): each runs FUZZ_SECONDS from its seed corpus, keeping
# what it finds in build/fuzz-corpus-<name>; a crash is saved as build/fuzz-crash-<name>/*.
FUZZ_SECONDS ?= 600
fuzz: $(B)/fuzz_store $(B)/fuzz_ops $(B)/fuzz_map
	@st=0; for h in store ops map; do \
	  case $$h in store) len=262144 ;; ops) len=4096 ;; *) len=1024 ;; esac; \
	  mkdir -p $(B)/fuzz-corpus-$$h $(B)/fuzz-crash-$$h; \
	  echo "fuzz_$$h: $(FUZZ_SECONDS) s"; \
	  $(B)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=30 -max_len=$$len \
	    -rss_limit_mb=2048 -artifact_prefix=$(B)/fuzz-crash-$$h/ $(B)/fuzz-corpus-$$h \
	    tests/fuzz/corpus/$$h || st=1; \
	done; exit $$st

# Long crash runs: >= 100,000 random SIGKILLs (make test runs a short tier), and the
# instruction-level kill sweep at every instruction of every operation (make test: a sample).
soak: $(B)/tests $(B)/sweep
	BACKING_SOAK=1 $(B)/tests $$($(B)/tests --list | grep -E '^share_.*kill')
	SWEEP_STRIDE=1 $(B)/sweep

valgrind: $(B)/tests-vg
	valgrind --error-exitcode=9 --quiet $(B)/tests-vg

EXAMPLES := $(patsubst examples/%.c,$(B)/%,$(wildcard examples/*.c))
examples: $(EXAMPLES)
$(B)/%: examples/%.c backing.h | $(B)
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. -o $@ $<

# Quick start, twice, on a store in build/data: the second run finds what the first kept.
demo: $(B)/quickstart
	cd $(B) && ./quickstart && ./quickstart

bench:
	@sh bench/run.sh

# The header, a pkg-config file (backing.pc, from examples/backing.pc.in) and the inspector
# as backing-inspect, under PREFIX; DESTDIR is put in front of every path (staged installs).
PREFIX ?= /usr/local
install: $(B)/inspect
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 backing.h $(DESTDIR)$(PREFIX)/include/backing.h
	install -m 755 $(B)/inspect $(DESTDIR)$(PREFIX)/bin/backing-inspect
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	  -e "s|@VERSION@|$$(sed -n 's/.*BACKING_VERSION_STRING "\(.*\)"/\1/p' backing.h)|" \
	  examples/backing.pc.in >$(DESTDIR)$(PREFIX)/lib/pkgconfig/backing.pc
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/backing.h $(DESTDIR)$(PREFIX)/bin/backing-inspect \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/backing.pc

FORMAT_FILES := $(wildcard *.h tests/*.c tests/*.h tests/win/*.c tests/win/*.h examples/*.c bench/*.c bench/*.cpp)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(B)
