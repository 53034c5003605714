/* debug_trap.c: in a BACKING_DEBUG build, an accessor on an address that is not inside a
   live block traps at once (issue 7 item 2), instead of writing through it after setting
   an error. Run by tests/run.sh: the program must die of SIGILL or SIGTRAP at the bad write
   and never reach the line after it (exit 0 or 3 means it did not trap). */
#define BACKING_DEBUG
#define BACKING_IMPLEMENTATION
#include "../backing.h"

#include <stdio.h>

int main(void) {
  backing *s;
  backing_config c;
  backing_addr a;
  memset(&c, 0, sizeof c);
  c.arena_size = 1u << 16;
  if (backing_open(&s, &c) != 0) return 2;
  a = backing_alloc(s, 64);
  if (!a) return 2;
  backing_set_u32(s, a, 1); /* inside a live block: fine */
  if (backing_get_u32(s, a) != 1) return 2;
  backing_free(s, a);
  fflush(stdout);
  backing_set_u32(s, a, 2); /* a freed block: must trap here */
  printf("debug_trap: a write to a freed block did not trap\n");
  backing_close(s);
  return 3;
}
