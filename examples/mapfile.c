/* mapfile.c: the mmap-io flow. Creates a 1 MiB file, maps it shared, advises random
   access, writes through the mapping, counts resident pages, syncs, and reads the bytes
   back through a second, read-only mapping of the same file. */
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <stdio.h>

int main(void) {
  const char *path = "mapfile.bin";
  backing_mapping w, r;
  uint64_t resident, total, i;
  int err;

  err = backing_file_map(&w, path, 0, 1 << 20, BACKING_MAP_SHARED | BACKING_MAP_CREATE);
  if (err) {
    fprintf(stderr, "map: %s\n", backing_strerror(err));
    return 1;
  }
  backing_madvise(w.data, w.length, BACKING_ADVICE_RANDOM);
  for (i = 0; i < w.length; i += 8192) ((unsigned char *)w.data)[i] = (unsigned char)(i >> 13);

  backing_mincore(w.data, w.length, &resident, &total);
  printf("pagesize %llu: %llu of %llu pages resident\n", (unsigned long long)backing_pagesize(),
         (unsigned long long)resident, (unsigned long long)total);
  err = backing_msync(w.data, w.length, BACKING_SYNC_BLOCK);
  printf("msync: %s\n", backing_strerror(err));

  err = backing_file_map(&r, path, 8192 * 5, 16, BACKING_MAP_READ); /* any offset works */
  if (err) {
    fprintf(stderr, "map: %s\n", backing_strerror(err));
    return 1;
  }
  printf("byte at 40960 through a second mapping: %d\n", ((unsigned char *)r.data)[0]);
  backing_file_unmap(&r);
  backing_file_unmap(&w);
  remove(path);
  return 0;
}
