# backing.h: build, test, bench. Outputs go to build/.
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror
B       := build

TEST_SRC := $(wildcard tests/*.c) $(wildcard tests/*.h) backing.h

.PHONY: all demo test check asan tsan valgrind soak examples bench format format-check clean fuzz

all: $(B)/tests examples

$(B):
	mkdir -p $(B)

# The whole suite: compile matrix, examples, ASan+UBSan run, plain run. Last line counts.
test:
	@sh tests/run.sh

$(B)/tests: $(TEST_SRC) | $(B)
	$(CC) -std=c11 $(CFLAGS) $(WARN) -o $@ tests/main.c

# Just the plain test binary (quicker than `make test`).
check: $(B)/tests
	$(B)/tests

asan: | $(B)
	clang -std=c11 -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined $(WARN) -o $(B)/tests-asan tests/main.c
	$(B)/tests-asan

# ThreadSanitizer over every GC test (gc_*) and every test with "thread" in its name
# (tests/run.sh runs the same set).
tsan: | $(B)
	clang -std=c11 -O1 -g -fsanitize=thread $(WARN) -o $(B)/tests-tsan tests/main.c -lpthread
	TSAN_OPTIONS=$${TSAN_OPTIONS:-exitcode=66:halt_on_error=0} \
	  $(B)/tests-tsan $$($(B)/tests-tsan --list | grep -E '^gc_|thread')

# libFuzzer harnesses (tests/fuzz/): each runs FUZZ_SECONDS from its seed corpus, keeping
# what it finds in build/fuzz-corpus-<name>; a crash is saved as build/fuzz-crash-<name>/*.
FUZZ_SECONDS ?= 600
fuzz: | $(B)
	@st=0; for h in store ops map; do \
	  case $$h in store) len=262144 ;; ops) len=4096 ;; *) len=1024 ;; esac; \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(WARN) -I. -o $(B)/fuzz_$$h \
	    tests/fuzz/fuzz_$$h.c || exit 1; \
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

$(B)/sweep: tests/sweep.c tests/test.h tests/helpers.h backing.h | $(B)
	$(CC) -std=c11 $(CFLAGS) $(WARN) -pthread -o $@ tests/sweep.c

valgrind: | $(B)
	$(CC) -std=c11 -O1 -g $(WARN) -DBACKING_RESERVE='(1ull<<32)' -o $(B)/tests-vg tests/main.c
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

FORMAT_FILES := $(wildcard *.h tests/*.c tests/*.h examples/*.c bench/*.c bench/*.cpp)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf $(B)
