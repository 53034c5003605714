/* t_errors.c: error codes, messages and the per-thread last error. */

static const int all_error_codes[] = {
#define CODE_(name, value, text) name,
    BACKING_ERRORS(CODE_)
#undef CODE_
};
static const char *const all_error_texts[] = {
#define TEXT_(name, value, text) text,
    BACKING_ERRORS(TEXT_)
#undef TEXT_
};
#define N_ERROR_CODES (sizeof all_error_codes / sizeof all_error_codes[0])

TEST(errors_codes_have_distinct_messages) {
  size_t i, j;
  for (i = 0; i < N_ERROR_CODES; i++) {
    const char *m = backing_strerror(all_error_codes[i]);
    CHECKF(all_error_codes[i] < 0, "code %d is not negative", all_error_codes[i]);
    if (!CHECKF(m != NULL && m[0] != 0, "backing_strerror(%d) is NULL or empty",
                all_error_codes[i]))
      continue;
    CHECKF(strcmp(m, all_error_texts[i]) == 0, "backing_strerror(%d) = \"%s\", documented \"%s\"",
           all_error_codes[i], m, all_error_texts[i]);
    for (j = 0; j < i; j++) {
      const char *o = backing_strerror(all_error_codes[j]);
      CHECKF(all_error_codes[i] != all_error_codes[j], "codes %zu and %zu are both %d", i, j,
             all_error_codes[i]);
      CHECKF(o == NULL || strcmp(m, o) != 0, "codes %d and %d share the message \"%s\"",
             all_error_codes[i], all_error_codes[j], m);
    }
  }
}

TEST(errors_errno_gives_system_text) {
  static const int errs[] = {ENOSPC, ENOENT, EACCES, EEXIST};
  size_t i;
  for (i = 0; i < sizeof errs / sizeof errs[0]; i++) {
    const char *m = backing_strerror(errs[i]);
    const char *sys = strerror(errs[i]);
    CHECKF(m != NULL && strstr(m, sys) != NULL,
           "backing_strerror(%d) = \"%s\", want the text \"%s\"", errs[i], m ? m : "(null)", sys);
  }
  /* Never NULL, even for success and for codes nobody defined. */
  CHECK(backing_strerror(0) != NULL);
  CHECK(backing_strerror(-1000) != NULL && backing_strerror(-1000)[0] != 0);
  CHECK(backing_strerror(100000) != NULL);
  CHECK(backing_strerror(INT32_MIN) != NULL);
}

struct errors_thread_result {
  int at_start;
  int after_error;
  int free_result;
};
static void *errors_thread_main(void *arg) {
  struct errors_thread_result *r = (struct errors_thread_result *)arg;
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s = NULL;
  r->at_start = backing_last_error();
  if (backing_open(&s, &c) == 0 && s) {
    r->free_result = (int)backing_free(s, 0); /* EBADADDR */
    r->after_error = backing_last_error();
    backing_close(s);
  } else {
    r->after_error = 12345;
  }
  return NULL;
}

TEST(errors_last_error_is_per_thread) {
  pthread_t t;
  struct errors_thread_result r;
  memset(&r, 0, sizeof r);
  CHECK_EQ(backing_close(NULL), BACKING_EINVAL);
  CHECK_EQ(backing_last_error(), BACKING_EINVAL);
  if (!CHECK(pthread_create(&t, NULL, errors_thread_main, &r) == 0)) return;
  pthread_join(t, NULL);
  CHECKF(r.at_start == 0, "a new thread starts with last error %s, want 0", err_name(r.at_start));
  CHECK_EQ(r.free_result, 0);
  CHECKF(r.after_error == BACKING_EBADADDR, "thread B: free(0) set %s, want BACKING_EBADADDR",
         err_name(r.after_error));
  CHECKF(backing_last_error() == BACKING_EINVAL,
         "thread A's last error changed to %s by thread B's failure",
         err_name(backing_last_error()));
}

TEST(errors_success_clears_last_error) {
  backing_config c = mem_cfg(64 * KIB, 0);
  backing *s;
  backing_addr a;
  CHECK_EQ(backing_close(NULL), BACKING_EINVAL);
  CHECK_EQ(backing_last_error(), BACKING_EINVAL);
  s = OPEN(&c);
  if (!s) return;
  CHECK_EQ(backing_last_error(), 0); /* the open succeeded */
  CHECK_EQ(backing_free(s, 0), 0);
  CHECK_EQ(backing_last_error(), BACKING_EBADADDR);
  a = backing_alloc(s, 100); /* the fast path too */
  CHECK(a != 0);
  CHECK_EQ(backing_last_error(), 0);
  CHECK_EQ(backing_free(s, 0), 0);
  CHECK_EQ(backing_free(s, a), 112);
  CHECK_EQ(backing_last_error(), 0);
  /* and a failure replaces it */
  CHECK_EQ(backing_alloc(s, UINT64_MAX), 0);
  CHECK_EQ(backing_last_error(), BACKING_ETOOBIG);
  CLOSE(s);
}
