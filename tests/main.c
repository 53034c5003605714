/* main.c: the test binary of backing.h. Every suite is a t_*.c file included here, so the
   whole suite is one translation unit with the implementation compiled in.
   Usage: tests [test names...] | --list | --child <mode> <args...> (internal). */
#define _GNU_SOURCE
#define BACKING_IMPLEMENTATION
#include "../backing.h"

#include "test.h"
#include "helpers.h"

#include "t_errors.c"
#include "t_open.c"
#include "t_alloc.c"
#include "t_seeds.c"
#include "t_churn.c"
#include "t_persist.c"
#include "t_roots.c"
#include "t_diag.c"
#include "t_threads.c"
#include "t_hostile.c"
#include "t_fulldisk.c"
#include "t_mapping.c"
#include "t_accessors.c"
#include "t_share.c"
#include "t_gc.c"
#include "t_races.c"
#include "t_holes.c"
#include "t_faults.c"
#include "t_containers.c"
#include "t_huge.c"
#include "t_huge_hostile.c"

int main(int argc, char **argv) {
  return test_main(argc, argv);
}
