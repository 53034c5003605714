/* t_fulldisk.c: a full disk is an error code (ENOSPC) from alloc, never a SIGBUS. Needs
   root for a 1 MiB tmpfs; skipped (and passed) otherwise. */

static int fulldisk_child(const char *dir) {
  backing_config c = mmap_cfg(dir, "full", 64 * KIB);
  backing *s;
  backing_addr a[400], x;
  int n = 0, i, e;
  alarm(60);
  s = OPEN(&c);
  if (!s) return 1;
  while (n < 400 && (x = backing_alloc(s, 8192)) != 0) {
    fill_pattern(backing_ptr(s, x), 8192, x);
    a[n++] = x;
  }
  e = backing_last_error();
  CHECKF(n < 400, "400 blocks of 8 KiB fit in a 1 MiB file system");
  CHECKF(e == ENOSPC, "alloc on a full disk: %s, want errno ENOSPC", err_name(e));
  CHECK(n > 10);
  test_note("%d blocks of 8 KiB before ENOSPC, %llu arenas", n, ULL(stat_of(s).arena_count));
  CHECK_STORE(s);
  for (i = 0; i < n; i++) CHECK_PATTERN(backing_ptr(s, a[i]), 8192, a[i]);
  /* freeing makes room inside the existing arenas */
  if (n > 3) {
    CHECK_EQ(backing_free(s, a[n / 2]), 8192);
    x = backing_alloc(s, 8192);
    if (CHECKF(x != 0, "alloc after free on a full disk: %s", err_name(backing_last_error()))) {
      fill_pattern(backing_ptr(s, x), 8192, x);
      a[n / 2] = x;
    }
    /* small blocks still come from space already on disk */
    x = backing_alloc(s, 100);
    CHECK(x != 0 || backing_last_error() == ENOSPC);
  }
  CHECK_STORE(s);
  for (i = 0; i < n; i++) CHECK_PATTERN(backing_ptr(s, a[i]), 8192, a[i]);
  CHECK_OK(backing_root_set(s, "blocks", a[0]));
  CLOSE(s);
  return test__failures ? 1 : 0;
}

TEST(fulldisk_is_enospc_not_sigbus) {
  char mnt[512], cmd[700];
  int status = 0;
  pid_t pid;
  if (geteuid() != 0) {
    test_note("SKIP: needs root to mount a small tmpfs");
    return;
  }
  test_path(mnt, sizeof mnt, "mnt");
  mkdir(mnt, 0700);
  snprintf(cmd, sizeof cmd, "mount -t tmpfs -o size=1m tmpfs '%s' 2>/dev/null", mnt);
  if (system(cmd) != 0) {
    test_note("SKIP: cannot mount a tmpfs here");
    return;
  }
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    int r = fulldisk_child(mnt);
    fflush(stdout);
    _exit(r);
  }
  if (CHECK(pid > 0)) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    CHECKF(!WIFSIGNALED(status), "the store process was killed by signal %d (%s)",
           WIFSIGNALED(status) ? WTERMSIG(status) : 0,
           WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "");
    CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the store process failed (status 0x%x)",
           status);
    /* everything written is still there for the next open */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      backing_config c = mmap_cfg(mnt, "full", 0);
      backing *s;
      c.flags = BACKING_NOCREATE;
      s = OPEN(&c);
      if (s) {
        backing_addr a = backing_root_get(s, "blocks");
        CHECK(a != 0);
        if (a) CHECK_PATTERN(backing_ptr(s, a), 8192, a);
        CHECK_CLOSE(s);
      }
    }
  }
  snprintf(cmd, sizeof cmd, "umount '%s'", mnt);
  CHECK(system(cmd) == 0);
}
