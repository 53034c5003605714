/* h_files.h: whole files for the suites: read, write, copy, size, existence. */
#ifndef H_FILES_H_INCLUDED
#define H_FILES_H_INCLUDED

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char *read_whole(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  unsigned char *buf;
  size_t got = 0;
  *len = 0;
  if (fd < 0) return NULL;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return NULL;
  }
  buf = (unsigned char *)malloc((size_t)st.st_size + 1);
  while (buf && got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  *len = got;
  return buf;
}
static int write_whole(const char *path, const void *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  size_t done = 0;
  if (fd < 0) return -1;
  while (done < len) {
    ssize_t w = write(fd, (const char *)data + done, len - done);
    if (w <= 0) {
      close(fd);
      return -1;
    }
    done += (size_t)w;
  }
  return close(fd);
}
static int copy_file(const char *from, const char *to) {
  size_t len;
  unsigned char *b = read_whole(from, &len);
  int rc;
  if (!b) return -1;
  rc = write_whole(to, b, len);
  free(b);
  return rc;
}
static long long file_size(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  return (long long)st.st_size;
}
static int path_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

#endif /* H_FILES_H_INCLUDED */
