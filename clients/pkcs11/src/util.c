/* Small helpers: buffers, base64url, logging, locks, time, files. */
#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

bool sr_buf_add(sr_buf *b, const void *p, size_t n) {
  if (n == 0) return true;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap == 0 ? 256 : b->cap;
    while (cap < b->len + n + 1) cap *= 2;
    /* Grow by copy so that the old block can be wiped: it may hold secrets. */
    unsigned char *d = malloc(cap);
    if (d == NULL) return false;
    if (b->data != NULL) {
      memcpy(d, b->data, b->len);
      OPENSSL_cleanse(b->data, b->cap);
      free(b->data);
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0; /* always NUL-terminated, for text */
  return true;
}

bool sr_buf_addstr(sr_buf *b, const char *s) { return sr_buf_add(b, s, strlen(s)); }

bool sr_buf_printf(sr_buf *b, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return false;
  if ((size_t)n < sizeof small) {
    bool ok = sr_buf_add(b, small, (size_t)n);
    OPENSSL_cleanse(small, sizeof small);
    return ok;
  }
  char *big = malloc((size_t)n + 1);
  if (big == NULL) return false;
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  bool ok = sr_buf_add(b, big, (size_t)n);
  OPENSSL_cleanse(big, (size_t)n);
  free(big);
  return ok;
}

void sr_buf_free(sr_buf *b) {
  if (b->data != NULL) {
    OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
  }
  b->data = NULL;
  b->len = b->cap = 0;
}

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool sr_b64url_encode(sr_buf *out, const unsigned char *in, size_t n) {
  char q[4];
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
    q[0] = B64URL[v >> 18]; q[1] = B64URL[(v >> 12) & 63]; q[2] = B64URL[(v >> 6) & 63]; q[3] = B64URL[v & 63];
    if (!sr_buf_add(out, q, 4)) return false;
  }
  if (n - i == 1) {
    unsigned v = (unsigned)in[i] << 16;
    q[0] = B64URL[v >> 18]; q[1] = B64URL[(v >> 12) & 63];
    return sr_buf_add(out, q, 2);
  }
  if (n - i == 2) {
    unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
    q[0] = B64URL[v >> 18]; q[1] = B64URL[(v >> 12) & 63]; q[2] = B64URL[(v >> 6) & 63];
    return sr_buf_add(out, q, 3);
  }
  return true;
}

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-' || c == '+') return 62;
  if (c == '_' || c == '/') return 63;
  return -1;
}

/* Accepts base64url and standard base64, padded or not (the service sends base64url without padding). */
bool sr_b64url_decode(const char *in, size_t n, sr_buf *out) {
  while (n > 0 && in[n - 1] == '=') n--;
  if (n % 4 == 1) return false;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64val(in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      unsigned char byte = (unsigned char)(acc >> bits);
      if (!sr_buf_add(out, &byte, 1)) return false;
    }
  }
  OPENSSL_cleanse(&acc, sizeof acc);
  return true;
}

bool sr_form_encode(sr_buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      if (!sr_buf_add(out, &c, 1)) return false;
    } else {
      char e[3] = { '%', hex[c >> 4], hex[c & 15] };
      if (!sr_buf_add(out, e, 3)) return false;
    }
  }
  return true;
}

/* ---- logging ---- */
static FILE *log_fp;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void sr_log_open(const char *path) {
  pthread_mutex_lock(&log_mu);
  if (log_fp == NULL && path != NULL && path[0] != '\0') {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      log_fp = fdopen(fd, "a");
      if (log_fp == NULL) close(fd);
    }
  }
  pthread_mutex_unlock(&log_mu);
}

void sr_log_fork_child(void) { pthread_mutex_init(&log_mu, NULL); }

void sr_log_close(void) {
  pthread_mutex_lock(&log_mu);
  if (log_fp != NULL) fclose(log_fp);
  log_fp = NULL;
  pthread_mutex_unlock(&log_mu);
}

void sr_log(const char *fmt, ...) {
  pthread_mutex_lock(&log_mu);
  FILE *fp = log_fp;
  if (fp == NULL) fp = getenv("STRONGROOM_PKCS11_DEBUG") != NULL ? stderr : NULL;
  if (fp != NULL) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(fp, "%04d-%02d-%02dT%02d:%02d:%02dZ strongroom-pkcs11[%d]: ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
            tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vfprintf(fp, fmt, ap);
    va_end(ap);
    fputc('\n', fp);
    fflush(fp);
  }
  pthread_mutex_unlock(&log_mu);
}

/* ---- locks ---- */
struct sr_mutex { pthread_mutex_t pm; void *app; };
static CK_CREATEMUTEX app_create;
static CK_DESTROYMUTEX app_destroy;
static CK_LOCKMUTEX app_lock;
static CK_UNLOCKMUTEX app_unlock;

void sr_locks_use(CK_C_INITIALIZE_ARGS *args) {
  if (args == NULL) {
    app_create = NULL; app_destroy = NULL; app_lock = NULL; app_unlock = NULL;
    return;
  }
  app_create = args->CreateMutex; app_destroy = args->DestroyMutex;
  app_lock = args->LockMutex; app_unlock = args->UnlockMutex;
}

sr_mutex *sr_mutex_new(void) {
  sr_mutex *m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  if (app_create != NULL) {
    if (app_create(&m->app) != CKR_OK) { free(m); return NULL; }
  } else {
    pthread_mutex_init(&m->pm, NULL);
  }
  return m;
}

void sr_mutex_free(sr_mutex *m) {
  if (m == NULL) return;
  if (m->app != NULL) app_destroy(m->app);
  else pthread_mutex_destroy(&m->pm);
  free(m);
}

void sr_mutex_reset(sr_mutex *m) {
  /* In a forked child: the lock may be held by a thread that does not exist there. */
  if (m == NULL) return;
  if (m->app != NULL) {
    void *fresh = NULL;
    if (app_create(&fresh) == CKR_OK) m->app = fresh; /* the old handle cannot be released safely */
  } else {
    pthread_mutex_init(&m->pm, NULL);
  }
}

void sr_lock(sr_mutex *m) {
  if (m->app != NULL) app_lock(m->app);
  else pthread_mutex_lock(&m->pm);
}

void sr_unlock(sr_mutex *m) {
  if (m->app != NULL) app_unlock(m->app);
  else pthread_mutex_unlock(&m->pm);
}

uint64_t sr_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sr_sleep_ms(uint64_t ms) {
  struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

char *sr_strdup(const char *s) { return s == NULL ? NULL : strdup(s); }

char *sr_read_file(const char *path, size_t max, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  sr_buf b = { 0 };
  char chunk[4096];
  bool failed = false;
  for (;;) {
    ssize_t r = read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) break;
    if (r < 0 || b.len + (size_t)r > max || !sr_buf_add(&b, chunk, (size_t)r)) { failed = true; break; }
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  close(fd);
  if (failed) { sr_buf_free(&b); return NULL; }
  if (b.data == NULL) {
    b.data = calloc(1, 1);
    if (b.data == NULL) return NULL;
  }
  if (len != NULL) *len = b.len;
  return (char *)b.data;
}
