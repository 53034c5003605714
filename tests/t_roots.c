/* t_roots.c: named roots. */

TEST(roots_set_get_del_overwrite) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a, b;
  if (!s) return;
  a = backing_alloc(s, 10);
  b = backing_alloc(s, 20);
  EXPECT_FAIL0(backing_root_get(s, "x"), BACKING_ENOTFOUND);
  CHECK_OK(backing_root_set(s, "x", a));
  CHECK_EQ(backing_root_get(s, "x"), a);
  CHECK_OK(backing_root_set(s, "y", b));
  CHECK_EQ(backing_root_get(s, "x"), a);
  CHECK_EQ(backing_root_get(s, "y"), b);
  CHECK_OK(backing_root_set(s, "x", b)); /* overwrite */
  CHECK_EQ(backing_root_get(s, "x"), b);
  CHECK_OK(backing_root_del(s, "x"));
  EXPECT_FAIL0(backing_root_get(s, "x"), BACKING_ENOTFOUND);
  EXPECT_RC(backing_root_del(s, "x"), BACKING_ENOTFOUND);
  EXPECT_RC(backing_root_del(s, "never"), BACKING_ENOTFOUND);
  CHECK_EQ(backing_root_get(s, "y"), b);
  /* similar names are different roots */
  CHECK_OK(backing_root_set(s, "yy", a));
  CHECK_EQ(backing_root_get(s, "y"), b);
  CHECK_EQ(backing_root_get(s, "yy"), a);
  EXPECT_FAIL0(backing_root_get(s, "Y"), BACKING_ENOTFOUND);
  CHECK_CLOSE(s);
}

TEST(roots_name_lengths_and_bad_arguments) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a;
  char n55[BACKING_ROOT_NAME_MAX + 1], n56[BACKING_ROOT_NAME_MAX + 2];
  if (!s) return;
  CHECK_EQ(BACKING_ROOT_NAME_MAX, 55);
  memset(n55, 'k', sizeof n55 - 1);
  n55[sizeof n55 - 1] = 0;
  memset(n56, 'k', sizeof n56 - 1);
  n56[sizeof n56 - 1] = 0;
  a = backing_alloc(s, 10);
  CHECK_OK(backing_root_set(s, "z", a));
  CHECK_EQ(backing_root_get(s, "z"), a);
  CHECK_OK(backing_root_set(s, n55, a));
  CHECK_EQ(backing_root_get(s, n55), a);
  EXPECT_RC(backing_root_set(s, n56, a), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(s, n56), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(s, n56), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(s, "", a), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(s, ""), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(s, ""), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(s, NULL, a), BACKING_EINVAL);
  EXPECT_FAIL0(backing_root_get(s, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_root_del(s, NULL), BACKING_EINVAL);
  EXPECT_RC(backing_root_set(s, "zero", 0), BACKING_EINVAL);
  /* README: a root takes any nonzero address inside the store */
  CHECK(backing_root_set(s, "outside", stat_of(s).capacity + 4096) != 0);
  CHECK(backing_root_set(s, "outside", UINT64_MAX) != 0);
  EXPECT_FAIL0(backing_root_get(s, "outside"), BACKING_ENOTFOUND);
  /* names are bytes: UTF-8 and punctuation are fine */
  CHECK_OK(backing_root_set(s, "r\xc3\xa9sum\xc3\xa9/\xe2\x9c\x93 1", a));
  CHECK_EQ(backing_root_get(s, "r\xc3\xa9sum\xc3\xa9/\xe2\x9c\x93 1"), a);
  EXPECT_FAIL0(backing_root_get(s, "zero"), BACKING_ENOTFOUND);
  /* the refused 56-byte name (its first 55 bytes name a root) changed nothing */
  CHECK_EQ(backing_root_get(s, n55), a);
  CHECK_CLOSE(s);
}

TEST(roots_table_full_is_efull) {
  backing *s = OPEN_MEMORY(64 * KIB, 0);
  backing_addr a;
  char name[32];
  int i;
  if (!s) return;
  a = backing_alloc(s, 10);
  for (i = 0; i < BACKING_ROOT_MAX; i++) {
    snprintf(name, sizeof name, "root-%d", i);
    if (!CHECKF(backing_root_set(s, name, a) == 0, "root %d of %d refused", i, BACKING_ROOT_MAX))
      break;
  }
  EXPECT_RC(backing_root_set(s, "one-too-many", a), BACKING_EFULL);
  EXPECT_FAIL0(backing_root_get(s, "one-too-many"), BACKING_ENOTFOUND);
  /* a full table still takes overwrites, and a deletion makes room */
  CHECK_OK(backing_root_set(s, "root-7", a));
  CHECK_OK(backing_root_del(s, "root-3"));
  CHECK_OK(backing_root_set(s, "one-too-many", a));
  EXPECT_RC(backing_root_set(s, "another", a), BACKING_EFULL);
  for (i = 0; i < BACKING_ROOT_MAX; i++) {
    snprintf(name, sizeof name, "root-%d", i);
    if (i == 3)
      EXPECT_FAIL0(backing_root_get(s, name), BACKING_ENOTFOUND);
    else
      CHECK_EQ(backing_root_get(s, name), a);
  }
  CHECK_CLOSE(s);
}

TEST(roots_survive_reopen) {
  backing_config c = mmap_cfg(test_dir(), "roots", 64 * KIB);
  backing *s = OPEN(&c);
  backing_addr a[10];
  char name[32];
  int i;
  if (!s) return;
  for (i = 0; i < 10; i++) {
    a[i] = backing_alloc(s, 16 + 100 * (uint64_t)i);
    snprintf(name, sizeof name, "r%d", i);
    CHECK_OK(backing_root_set(s, name, a[i]));
  }
  CHECK_OK(backing_root_del(s, "r4"));
  CHECK_OK(backing_root_set(s, "r5", a[9]));
  CLOSE(s);
  s = OPEN(&c);
  if (!s) return;
  for (i = 0; i < 10; i++) {
    snprintf(name, sizeof name, "r%d", i);
    if (i == 4)
      EXPECT_FAIL0(backing_root_get(s, name), BACKING_ENOTFOUND);
    else
      CHECK_EQ(backing_root_get(s, name), i == 5 ? a[9] : a[i]);
  }
  CHECK_CLOSE(s);
}
