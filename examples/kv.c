/* kv.c: a key-value store on the command line, kept in a file, that any number of kv
   processes may read and change at once. It shows the map container: a map found under
   a named root (made on first use), put / get / del, iteration with a cursor, the map's
   statistics, read-only handles for the commands that only read, and backing_gc_cycle
   giving back the values that puts and deletes replaced.

     kv DIR put KEY VALUE     set KEY (made if missing, replaced if present)
     kv DIR get KEY           print its value; exit status 1 when KEY is missing
     kv DIR del KEY           remove KEY; exit status 1 when it is missing
     kv DIR list              print every key and value, KEY TAB VALUE per line
     kv DIR stat              the map's and the store's figures
     kv DIR load FILE         put every line KEY TAB VALUE of FILE ("-": standard input)

   The store is DIR/kv.backing; its map is under the root "kv". */
#define _GNU_SOURCE 1
#define BACKING_IMPLEMENTATION
#include "backing.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "kv";

static int usage(void) {
  fprintf(stderr,
          "usage: %s DIR put KEY VALUE | get KEY | del KEY | list | stat | load FILE\n"
          "  the store is DIR/kv.backing; load reads KEY TAB VALUE lines (FILE - : stdin)\n",
          prog);
  return 2;
}

static int fail(const char *what, int err) {
  fprintf(stderr, "%s: %s: %s\n", prog, what, backing_strerror(err));
  return 2;
}

/* Open the store. Commands that only read use a read-only handle (many readers, never a
   write); they fall back to read-write on a store a crashed writer left to repair. */
static int open_store(backing **s, const char *dir, int readonly) {
  backing_config cfg;
  int err;
  memset(&cfg, 0, sizeof cfg);
  cfg.dirname = dir;
  cfg.name = "kv";
  cfg.source = BACKING_SOURCE_MMAP;
  if (readonly) {
    cfg.flags = BACKING_RDONLY | BACKING_NOCREATE;
    err = backing_open(s, &cfg);
    if (err != BACKING_ERECOVER) return err;
    cfg.flags = BACKING_NOCREATE;
  }
  return backing_open(s, &cfg);
}

/* The map under the root "kv", made if missing. Two kv processes may both find no root
   at once; a lock on DIR (flock, dropped by the kernel if we die) makes sure only one
   map is ever named, so no put lands in a map nobody can find. */
static backing_addr find_map(backing *s, const char *dir, int create) {
  backing_addr m = backing_root_get(s, "kv");
  int fd;
  if (m || !create) return m;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) {
    perror(dir);
    if (fd >= 0) close(fd);
    return 0;
  }
  m = backing_root_get(s, "kv"); /* another kv may have made it meanwhile */
  if (!m) {
    m = backing_map_new(s, 0);
    if (m && backing_root_set(s, "kv", m) != 0) {
      backing_map_free(s, m);
      m = 0;
    }
  }
  close(fd);
  return m;
}

static void print_value(const backing_value *v) {
  switch (v->kind) {
  case BACKING_VALUE_BYTES:
    fwrite(v->data, 1, (size_t)v->len, stdout);
    break;
  case BACKING_VALUE_I64:
    printf("%lld", (long long)v->i64);
    break;
  case BACKING_VALUE_F64:
    printf("%.17g", v->f64);
    break;
  default:
    printf("@%llu", (unsigned long long)v->addr);
    break; /* a reference */
  }
}

static int put(backing *s, backing_addr m, const char *key, size_t klen, const char *val,
               size_t vlen) {
  backing_value v;
  memset(&v, 0, sizeof v);
  v.kind = BACKING_VALUE_BYTES;
  v.data = val;
  v.len = vlen;
  return backing_map_put(s, m, key, klen, &v);
}

static void progress(uint64_t done, uint64_t total, uint64_t lines) {
  int i, width = 40, fill = total ? (int)(done * (uint64_t)width / total) : 0;
  fputc('\r', stderr);
  if (total) {
    fputc('[', stderr);
    for (i = 0; i < width; i++) fputc(i < fill ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%% ", (int)(done * 100 / total));
  }
  fprintf(stderr, "%llu keys", (unsigned long long)lines);
  fflush(stderr);
}

/* KEY TAB VALUE per line (the first tab splits; a value may hold more tabs). */
static int load(backing *s, backing_addr m, const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  int bar = isatty(2);
  uint64_t total = 0, done = 0, lines = 0, bad = 0, lineno = 0;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  struct stat st;
  int err = 0;
  if (!f) {
    perror(path);
    return 2;
  }
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) total = (uint64_t)st.st_size;
  while ((n = getline(&line, &cap, f)) > 0) {
    char *tab;
    size_t len = (size_t)n;
    lineno++;
    done += len;
    if (line[len - 1] == '\n') len--;
    tab = memchr(line, '\t', len);
    if (!tab) {
      fprintf(stderr, "%s%s:%llu: no tab, line skipped\n", bar ? "\n" : "", path,
              (unsigned long long)lineno);
      bad++;
      continue;
    }
    err = put(s, m, line, (size_t)(tab - line), tab + 1, len - (size_t)(tab - line) - 1);
    if (err) {
      fprintf(stderr, "%s%s:%llu: %s\n", bar ? "\n" : "", path, (unsigned long long)lineno,
              backing_strerror(err));
      break;
    }
    lines++;
    if (lines % 65536 == 0) backing_gc_cycle(s); /* replaced values come back as we go */
    if (bar && lines % 8192 == 0) progress(done, total, lines);
  }
  if (bar) {
    progress(total ? total : done, total, lines);
    fputc('\n', stderr);
  }
  free(line);
  if (f != stdin) fclose(f);
  fprintf(stderr, "%s: loaded %llu keys%s\n", prog, (unsigned long long)lines,
          bad ? " (some lines skipped)" : "");
  return err ? 2 : bad ? 1 : 0;
}

static int stat_cmd(backing *s, backing_addr m) {
  backing_map_stats ms;
  backing_stats st;
  int err = backing_map_stat(s, m, &ms);
  if (!err) err = backing_stat(s, &st);
  if (err) return fail("stat", err);
  printf("keys        %llu\n", (unsigned long long)ms.entries);
  printf("segments    %llu (directory depth %u)\n", (unsigned long long)ms.segments, ms.depth);
  printf("slots       %llu, load %.2f, %llu tombstones, longest probe %u\n",
         (unsigned long long)ms.slots, ms.load, (unsigned long long)ms.tombstones, ms.max_probe);
  printf("map bytes   %llu\n", (unsigned long long)ms.bytes);
  printf("store       %llu arenas of %llu bytes, %llu bytes used, %llu free\n",
         (unsigned long long)st.arena_count, (unsigned long long)st.arena_size,
         (unsigned long long)st.used_bytes, (unsigned long long)st.free_bytes);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir, *cmd;
  backing *s;
  backing_addr m;
  backing_value v;
  int err, rc = 0, writes;
  if (argc < 3) return usage();
  dir = argv[1];
  cmd = argv[2];
  writes = !strcmp(cmd, "put") || !strcmp(cmd, "del") || !strcmp(cmd, "load");
  if (!((!strcmp(cmd, "put") && argc == 5) ||
        ((!strcmp(cmd, "get") || !strcmp(cmd, "del") || !strcmp(cmd, "load")) && argc == 4) ||
        ((!strcmp(cmd, "list") || !strcmp(cmd, "stat")) && argc == 3)))
    return usage();

  err = open_store(&s, dir, !writes);
  if (err == ENOENT && !strcmp(cmd, "get")) return 1; /* no store: no key */
  if (err == ENOENT) {
    if (!strcmp(cmd, "list")) return 0;
    fprintf(stderr, "%s: no store in %s\n", prog, dir);
    return 2;
  }
  if (err) return fail(dir, err);
  m = find_map(s, dir, writes);
  if (!m) {
    err = backing_last_error();
    backing_close(s);
    if (!writes) return strcmp(cmd, "get") == 0 ? 1 : 0; /* an empty store */
    return fail("map", err);
  }

  if (!strcmp(cmd, "put")) {
    err = put(s, m, argv[3], strlen(argv[3]), argv[4], strlen(argv[4]));
    if (err) rc = fail("put", err);
  } else if (!strcmp(cmd, "get")) {
    /* v.data is a view into the store: print it now (it stays readable for `lifetime`
       GC cycles after another process replaces or deletes the key). */
    err = backing_map_get(s, m, argv[3], strlen(argv[3]), &v);
    if (err == BACKING_ENOTFOUND) {
      rc = 1;
    } else if (err) {
      rc = fail("get", err);
    } else {
      print_value(&v);
      putchar('\n');
    }
  } else if (!strcmp(cmd, "del")) {
    err = backing_map_del(s, m, argv[3], strlen(argv[3]));
    if (err == BACKING_ENOTFOUND) {
      fprintf(stderr, "%s: %s: not found\n", prog, argv[3]);
      rc = 1;
    } else if (err) {
      rc = fail("del", err);
    }
  } else if (!strcmp(cmd, "list")) {
    backing_map_cursor c;
    const void *key;
    uint64_t klen;
    memset(&c, 0, sizeof c);
    while ((err = backing_map_next(s, m, &c, &key, &klen, &v)) == 1) {
      fwrite(key, 1, (size_t)klen, stdout);
      putchar('\t');
      print_value(&v);
      putchar('\n');
    }
    if (err < 0) rc = fail("list", err);
  } else if (!strcmp(cmd, "stat")) {
    rc = stat_cmd(s, m);
  } else {
    rc = load(s, m, argv[3]);
  }

  /* Age what earlier puts and deletes replaced; it is freed `lifetime` cycles later. */
  if (writes) backing_gc_cycle(s);
  if (fflush(stdout) != 0 && rc == 0) rc = 2;
  err = backing_close(s);
  if (err && rc == 0) rc = fail("close", err);
  return rc;
}
