/* helpers.h: the helpers shared by the suites, one header per topic (included by main.c,
   sweep.c and crashpoints.c after backing.h and test.h):
     h_check.h  units (KIB, MIB, GIB), ULL() for printing, error names, EXPECT_RC,
                EXPECT_FAIL0, CHECK_OK
     h_store.h  configs, OPEN, the fixtures (OPEN_MEMORY, OPEN_MMAP, CHECK_CLOSE),
                CHECK_STORE, stats, walks, max_block
     h_data.h   byte patterns and the seeded generator
     h_files.h  whole files: read, write, copy, size
     h_procs.h  child processes, wait statuses, clock and sleep
     h_share.h  the self-checking workload for threads, processes and kills (sh_*) */
#ifndef HELPERS_H_INCLUDED
#define HELPERS_H_INCLUDED

#include <pthread.h>

#include "h_check.h"
#include "h_store.h"
#include "h_data.h"
#include "h_files.h"
#include "h_procs.h"
#include "h_share.h"

#endif /* HELPERS_H_INCLUDED */
