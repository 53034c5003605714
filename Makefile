# backing.h: build, test, bench. Outputs go to build/.
CC      ?= cc
CXX     ?= c++
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wpedantic -Werror
B       := build

TEST_SRC := $(wildcard tests/*.c) $(wildcard tests/*.h) backing.h

.PHONY: all demo test check asan tsan valgrind soak examples bench format format-check clean

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

# ThreadSanitizer over the thread tests (tests/run.sh runs it too).
tsan: | $(B)
	clang -std=c11 -O1 -g -fsanitize=thread $(WARN) -o $(B)/tests-tsan tests/main.c -lpthread
	$(B)/tests-tsan $$($(B)/tests-tsan --list | grep -E '^(threads|share_threads|gc_thread)' )

# Long crash runs: >= 100,000 random SIGKILLs (make test runs a short tier).
soak: $(B)/tests
	BACKING_SOAK=1 $(B)/tests $$($(B)/tests --list | grep -E '^share_.*kill')

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
