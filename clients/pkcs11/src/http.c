/*
 * HTTPS/1.1 with keep-alive over the module's own OpenSSL library context. The application's default context
 * may have pkcs11-provider loaded (with this very module behind it); TLS through it could call back into the
 * module. So the module makes an OSSL_LIB_CTX with only the default provider and builds its SSL_CTX from it.
 */
#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_IDLE 16
#define MAX_BODY (4u << 20)
#define MAX_HEAD 16384

typedef struct { int fd; SSL *ssl; } conn;

struct sr_http {
  char *host, *port;
  SSL_CTX *ctx;
  sr_mutex *mu;
  conn idle[MAX_IDLE];
  size_t nidle;
  unsigned timeout_s;
};

static OSSL_LIB_CTX *libctx;
static OSSL_PROVIDER *default_provider;

bool sr_crypto_init(void) {
  if (libctx != NULL) return true;
  libctx = OSSL_LIB_CTX_new();
  if (libctx == NULL) return false;
  default_provider = OSSL_PROVIDER_load(libctx, "default");
  if (default_provider == NULL) { OSSL_LIB_CTX_free(libctx); libctx = NULL; return false; }
  return true;
}

void sr_crypto_free(void) {
  if (default_provider != NULL) OSSL_PROVIDER_unload(default_provider);
  if (libctx != NULL) OSSL_LIB_CTX_free(libctx);
  default_provider = NULL;
  libctx = NULL;
}

sr_libctx *sr_crypto_libctx(void) { return libctx; }

/* Splits https://host[:port][/...] into host and port. */
static bool split_url(const char *url, char **host, char **port) {
  const char *h = url + 8, *end = h;
  while (*end != '\0' && *end != '/') end++;
  const char *colon = NULL;
  if (*h == '[') return false; /* IPv6 literals are not supported in the config */
  for (const char *p = h; p < end; p++) if (*p == ':') colon = p;
  *host = strndup(h, (size_t)((colon != NULL ? colon : end) - h));
  *port = colon != NULL ? strndup(colon + 1, (size_t)(end - colon - 1)) : strdup("443");
  return *host != NULL && *port != NULL && (*host)[0] != '\0';
}

sr_http *sr_http_new(const sr_slot_config *cfg, unsigned timeout_seconds) {
  sr_http *h = calloc(1, sizeof *h);
  if (h == NULL) return NULL;
  h->timeout_s = timeout_seconds;
  h->mu = sr_mutex_new();
  if (h->mu == NULL || !split_url(cfg->url, &h->host, &h->port)) goto fail;
  h->ctx = SSL_CTX_new_ex(libctx, NULL, TLS_client_method());
  if (h->ctx == NULL) goto fail;
  SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
  if (cfg->ca_file != NULL) {
    if (SSL_CTX_load_verify_locations(h->ctx, cfg->ca_file, NULL) != 1) {
      sr_log("tls: cannot load ca_file %s", cfg->ca_file);
      goto fail;
    }
  } else if (SSL_CTX_set_default_verify_paths(h->ctx) != 1) {
    goto fail;
  }
  if (cfg->client_certificate != NULL) {
    if (SSL_CTX_use_certificate_chain_file(h->ctx, cfg->client_certificate) != 1 ||
        SSL_CTX_use_PrivateKey_file(h->ctx, cfg->client_key, SSL_FILETYPE_PEM) != 1) {
      sr_log("tls: cannot load client_certificate/client_key");
      goto fail;
    }
  }
  /* Session resumption makes a reconnect after an idle close cheap. */
  SSL_CTX_set_session_cache_mode(h->ctx, SSL_SESS_CACHE_CLIENT);
  return h;
fail:
  ERR_clear_error();
  sr_http_free(h);
  return NULL;
}

static void conn_close(conn *c, bool polite) {
  if (c->ssl != NULL) {
    if (polite) SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
  }
  if (c->fd >= 0) close(c->fd);
  c->ssl = NULL;
  c->fd = -1;
}

void sr_http_free(sr_http *h) {
  if (h == NULL) return;
  for (size_t i = 0; i < h->nidle; i++) conn_close(&h->idle[i], true);
  SSL_CTX_free(h->ctx);
  sr_mutex_free(h->mu);
  free(h->host);
  free(h->port);
  free(h);
}

void sr_http_abandon(sr_http *h) {
  /* After fork: the parent owns these TLS sessions. Closing our copy of the descriptor leaves its socket alone;
   * the SSL objects are leaked, not freed, since a parent thread may have been inside one at fork time. */
  if (h == NULL) return;
  for (size_t i = 0; i < h->nidle; i++) close(h->idle[i].fd);
  h->nidle = 0;
  sr_mutex_reset(h->mu);
}

const char *sr_http_host(sr_http *h) { return h->host; }

static int connect_timeout(const char *host, const char *port, unsigned timeout_s) {
  struct addrinfo hints = { 0 }, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
  int fd = -1;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      struct pollfd p = { fd, POLLOUT, 0 };
      int err = 0;
      socklen_t el = sizeof err;
      if (poll(&p, 1, (int)timeout_s * 1000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0) r = 0;
    }
    if (r == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  struct timeval tv = { (time_t)timeout_s, 0 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static bool conn_open(sr_http *h, conn *c) {
  c->fd = connect_timeout(h->host, h->port, h->timeout_s);
  c->ssl = NULL;
  if (c->fd < 0) { sr_log("http: cannot connect to %s:%s", h->host, h->port); return false; }
  c->ssl = SSL_new(h->ctx);
  if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_set_tlsext_host_name(c->ssl, h->host) != 1 ||
      SSL_set1_host(c->ssl, h->host) != 1 || SSL_connect(c->ssl) != 1) {
    unsigned long e = ERR_peek_last_error();
    char msg[256];
    ERR_error_string_n(e, msg, sizeof msg);
    sr_log("http: TLS handshake with %s failed: %s", h->host, msg);
    ERR_clear_error();
    conn_close(c, false);
    return false;
  }
  return true;
}

static bool write_all(conn *c, const void *p, size_t n) {
  const unsigned char *b = p;
  while (n > 0) {
    int w = SSL_write(c->ssl, b, n > (1u << 30) ? (1 << 30) : (int)n);
    if (w <= 0) { ERR_clear_error(); return false; }
    b += w;
    n -= (size_t)w;
  }
  return true;
}

/* Reads into `in` until it holds at least `want` bytes; false on EOF/error/timeout. */
static bool read_more(conn *c, sr_buf *in, size_t want) {
  unsigned char chunk[16384];
  while (in->len < want) {
    int r = SSL_read(c->ssl, chunk, sizeof chunk);
    if (r <= 0) { ERR_clear_error(); return false; }
    if (!sr_buf_add(in, chunk, (size_t)r)) return false;
  }
  return true;
}

static const unsigned char *find_crlfcrlf(const sr_buf *b) {
  for (size_t i = 0; i + 3 < b->len; i++) {
    if (memcmp(b->data + i, "\r\n\r\n", 4) == 0) return b->data + i;
  }
  return NULL;
}

typedef struct { long content_length; bool chunked, close; unsigned retry_after; } head_info;

static bool parse_head(const char *head, size_t n, int *status, head_info *hi) {
  hi->content_length = -1;
  hi->chunked = hi->close = false;
  hi->retry_after = 0;
  if (n < 12 || strncmp(head, "HTTP/1.", 7) != 0) return false;
  *status = atoi(head + 9);
  if (*status < 100 || *status > 599) return false;
  if (head[7] == '0') hi->close = true;
  const char *line = memchr(head, '\n', n);
  while (line != NULL && (size_t)(line - head) < n) {
    line++;
    const char *eol = memchr(line, '\n', n - (size_t)(line - head));
    if (eol == NULL) break;
    size_t len = (size_t)(eol - line);
    if (len > 16 && strncasecmp(line, "content-length:", 15) == 0) hi->content_length = atol(line + 15);
    else if (len > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0 && memmem(line, len, "chunked", 7) != NULL) hi->chunked = true;
    else if (len > 11 && strncasecmp(line, "connection:", 11) == 0 && memmem(line, len, "close", 5) != NULL) hi->close = true;
    else if (len > 12 && strncasecmp(line, "retry-after:", 12) == 0) {
      long v = atol(line + 12);
      hi->retry_after = v > 0 && v < 3600 ? (unsigned)v : 1;
    }
    line = eol;
  }
  return true;
}

/* Decodes a chunked body that starts at `in` offset `off`; reads more as needed. */
static bool read_chunked(conn *c, sr_buf *in, size_t off, sr_buf *body) {
  for (;;) {
    const unsigned char *nl;
    while ((nl = memchr(in->data + off, '\n', in->len - off)) == NULL) {
      if (in->len - off > 64 || !read_more(c, in, in->len + 1)) return false;
    }
    unsigned long size = strtoul((const char *)in->data + off, NULL, 16);
    off = (size_t)(nl - in->data) + 1;
    if (size > MAX_BODY || body->len + size > MAX_BODY) return false;
    if (!read_more(c, in, off + size + 2)) return false;
    if (size == 0) {
      /* No trailers expected; the final CRLF has been read. */
      return true;
    }
    if (!sr_buf_add(body, in->data + off, size)) return false;
    off += size + 2;
  }
}

typedef enum { EX_OK, EX_FAIL_BEFORE_ANSWER, EX_FAIL } exchange_result;

static exchange_result exchange(conn *c, const sr_buf *req, sr_http_response *resp, bool *keep) {
  if (!write_all(c, req->data, req->len)) return EX_FAIL_BEFORE_ANSWER;
  sr_buf in = { 0 };
  const unsigned char *end;
  while ((end = find_crlfcrlf(&in)) == NULL) {
    if (in.len > MAX_HEAD) { sr_buf_free(&in); return EX_FAIL; }
    size_t before = in.len;
    if (!read_more(c, &in, in.len + 1)) { sr_buf_free(&in); return before == 0 ? EX_FAIL_BEFORE_ANSWER : EX_FAIL; }
  }
  head_info hi;
  size_t head_len = (size_t)(end - in.data) + 4;
  if (!parse_head((const char *)in.data, head_len, &resp->status, &hi)) { sr_buf_free(&in); return EX_FAIL; }
  resp->retry_after = hi.retry_after;
  bool ok;
  if (hi.chunked) {
    ok = read_chunked(c, &in, head_len, &resp->body);
  } else if (hi.content_length >= 0) {
    ok = (unsigned long)hi.content_length <= MAX_BODY && read_more(c, &in, head_len + (size_t)hi.content_length) &&
         sr_buf_add(&resp->body, in.data + head_len, (size_t)hi.content_length);
  } else {
    /* Neither length nor chunks: the body ends with the connection. */
    hi.close = true;
    unsigned char chunk[8192];
    int r;
    ok = sr_buf_add(&resp->body, in.data + head_len, in.len - head_len);
    while (ok && (r = SSL_read(c->ssl, chunk, sizeof chunk)) > 0) ok = resp->body.len + (size_t)r <= MAX_BODY && sr_buf_add(&resp->body, chunk, (size_t)r);
    ERR_clear_error();
  }
  sr_buf_free(&in);
  *keep = ok && !hi.close;
  return ok ? EX_OK : EX_FAIL;
}

/* A write to a socket the server closed raises SIGPIPE, whose default action would kill the application: keep it
 * blocked on this thread for the exchange and swallow one that arrived, as libcurl does. */
typedef struct { sigset_t old; bool pending_before; } sigpipe_guard;

static void sigpipe_block(sigpipe_guard *g) {
  sigset_t set, pending;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigpending(&pending);
  g->pending_before = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(sigpipe_guard *g) {
  sigset_t set, pending;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigpending(&pending);
  if (!g->pending_before && sigismember(&pending, SIGPIPE) == 1) {
    struct timespec zero = { 0, 0 };
    sigtimedwait(&set, NULL, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static CK_RV request_guarded(sr_http *h, const char *method, const char *path, const char *headers, const void *body,
                             size_t body_len, sr_http_response *resp);

/* fork() waits for exchanges in flight (atfork prepare takes this for writing), so that no thread of the parent is
 * inside OpenSSL holding one of its locks at the moment of fork: the child would inherit that lock held. */
static pthread_rwlock_t fork_guard = PTHREAD_RWLOCK_INITIALIZER;

void sr_http_fork_prepare(void) { pthread_rwlock_wrlock(&fork_guard); }
void sr_http_fork_parent(void) { pthread_rwlock_unlock(&fork_guard); }
void sr_http_fork_child(void) { pthread_rwlock_init(&fork_guard, NULL); }

CK_RV sr_http_request(sr_http *h, const char *method, const char *path, const char *headers, const void *body,
                      size_t body_len, sr_http_response *resp) {
  sigpipe_guard g;
  sigpipe_block(&g);
  pthread_rwlock_rdlock(&fork_guard);
  CK_RV rv = request_guarded(h, method, path, headers, body, body_len, resp);
  pthread_rwlock_unlock(&fork_guard);
  sigpipe_restore(&g);
  return rv;
}

static CK_RV request_guarded(sr_http *h, const char *method, const char *path, const char *headers, const void *body,
                             size_t body_len, sr_http_response *resp) {
  sr_buf req = { 0 };
  bool built = sr_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s%s%s\r\nContent-Length: %zu\r\nAccept: application/json\r\n"
                             "User-Agent: strongroom-pkcs11/0.1\r\n%s\r\n", method, path, h->host,
                             strcmp(h->port, "443") == 0 ? "" : ":", strcmp(h->port, "443") == 0 ? "" : h->port,
                             body_len, headers != NULL ? headers : "") &&
               sr_buf_add(&req, body, body_len);
  if (!built) { sr_buf_free(&req); return CKR_HOST_MEMORY; }
  CK_RV rv = CKR_DEVICE_ERROR;
  for (int attempt = 0; attempt < 2; attempt++) {
    conn c = { -1, NULL };
    bool reused = false;
    sr_lock(h->mu);
    if (attempt == 0 && h->nidle > 0) { c = h->idle[--h->nidle]; reused = true; }
    sr_unlock(h->mu);
    if (!reused && !conn_open(h, &c)) break;
    resp->status = 0;
    resp->retry_after = 0;
    sr_buf_free(&resp->body);
    bool keep = false;
    exchange_result r = exchange(&c, &req, resp, &keep);
    if (r == EX_OK) {
      rv = CKR_OK;
      bool pooled = false;
      if (keep) {
        sr_lock(h->mu);
        if (h->nidle < MAX_IDLE) { h->idle[h->nidle++] = c; pooled = true; }
        sr_unlock(h->mu);
      }
      if (!pooled) conn_close(&c, keep);
      break;
    }
    conn_close(&c, false);
    /* A pooled connection the server closed while idle: try once more on a fresh one. */
    if (!(reused && r == EX_FAIL_BEFORE_ANSWER)) { sr_log("http: %s exchange failed", method); break; }
  }
  sr_buf_free(&req);
  return rv;
}
