/* compile_after_stdio.c: compiled (never run) by tests/run.sh. The implementation must
   compile whatever the file included before it, in strict C99/C11 as well as C++:
   - by default: <stdio.h> and other common headers come first, then
     #define BACKING_IMPLEMENTATION and #include "backing.h" (item 16 of issue 7: this gave
     "MAP_ANONYMOUS undeclared");
   - with -DCOMPILE_TWICE: backing.h is included once as a plain header (no implementation),
     then BACKING_IMPLEMENTATION is defined and it is included again, which must still give
     the implementation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef COMPILE_TWICE
#include "../backing.h"
#endif

#define BACKING_IMPLEMENTATION
#include "../backing.h"

int backing_compile_after_stdio(void);
int backing_compile_after_stdio(void) {
  backing *s = NULL;
  backing_config cfg;
  backing_addr a;
  int rc;
  memset(&cfg, 0, sizeof cfg);
  cfg.source = BACKING_SOURCE_MEMORY;
  rc = backing_open(&s, &cfg);
  if (rc != 0) {
    fprintf(stderr, "backing_open: %s\n", backing_strerror(rc));
    return 1;
  }
  a = backing_alloc(s, 16);
  if (a) backing_set_u64(s, a, (uint64_t)getpid());
  rc = (int)backing_free(s, a) == 0;
  return backing_close(s) | rc | (errno & 0);
}
