/* Strict recursive-descent JSON parser (see json.h for limits). */
#include "json.h"
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <openssl/crypto.h>

#define MAX_DEPTH 64

typedef struct { const char *p, *end; int depth; } parser;

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static sr_json *node(sr_json_type t) {
  sr_json *j = calloc(1, sizeof *j);
  if (j != NULL) j->type = t;
  return j;
}

static int hex4(const char *p, const char *end, unsigned *out) {
  if (end - p < 4) return 0;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0;
  }
  *out = v;
  return 1;
}

static size_t put_utf8(char *o, unsigned cp) {
  if (cp < 0x80) { o[0] = (char)cp; return 1; }
  if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Parses a string at ps->p (which is at '"'); the decoded form is never longer than the encoded one. */
static char *parse_string(parser *ps, size_t *out_len) {
  ps->p++;
  const char *start = ps->p;
  while (ps->p < ps->end && *ps->p != '"') {
    if (*ps->p == '\\' && ps->end - ps->p >= 2) ps->p++;
    ps->p++;
  }
  if (ps->p >= ps->end) return NULL;
  char *out = malloc((size_t)(ps->p - start) + 1);
  if (out == NULL) return NULL;
  size_t n = 0;
  const char *q = start, *stop = ps->p;
  while (q < stop) {
    unsigned char c = (unsigned char)*q;
    if (c < 0x20) goto fail;
    if (c != '\\') { out[n++] = (char)c; q++; continue; }
    q++;
    if (q >= stop) goto fail;
    switch (*q) {
      case '"': out[n++] = '"'; q++; break;
      case '\\': out[n++] = '\\'; q++; break;
      case '/': out[n++] = '/'; q++; break;
      case 'b': out[n++] = '\b'; q++; break;
      case 'f': out[n++] = '\f'; q++; break;
      case 'n': out[n++] = '\n'; q++; break;
      case 'r': out[n++] = '\r'; q++; break;
      case 't': out[n++] = '\t'; q++; break;
      case 'u': {
        unsigned cp;
        if (!hex4(q + 1, stop, &cp)) goto fail;
        q += 5;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (stop - q < 6 || q[0] != '\\' || q[1] != 'u' || !hex4(q + 2, stop, &lo) || lo < 0xDC00 || lo > 0xDFFF) goto fail;
          q += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          goto fail;
        }
        if (cp == 0) goto fail; /* keep strings C strings */
        /* "\uXXXX" is 6 bytes and yields at most 3; a pair is 12 and yields 4: the buffer is large enough. */
        n += put_utf8(out + n, cp);
        break;
      }
      default: goto fail;
    }
  }
  out[n] = '\0';
  ps->p++; /* closing quote */
  *out_len = n;
  return out;
fail:
  free(out);
  return NULL;
}

static int parse_number(parser *ps, double *out) {
  const char *s = ps->p;
  const char *p = s;
  if (p < ps->end && *p == '-') p++;
  if (p >= ps->end) return 0;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') { while (p < ps->end && *p >= '0' && *p <= '9') p++; }
  else return 0;
  if (p < ps->end && *p == '.') {
    p++;
    if (p >= ps->end || *p < '0' || *p > '9') return 0;
    while (p < ps->end && *p >= '0' && *p <= '9') p++;
  }
  if (p < ps->end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < ps->end && (*p == '+' || *p == '-')) p++;
    if (p >= ps->end || *p < '0' || *p > '9') return 0;
    while (p < ps->end && *p >= '0' && *p <= '9') p++;
  }
  size_t n = (size_t)(p - s);
  if (n > 64) return 0;
  char tmp[65];
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  *out = strtod(tmp, NULL);
  ps->p = p;
  return 1;
}

static sr_json *parse_value(parser *ps);

static int literal(parser *ps, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return 0;
  ps->p += n;
  return 1;
}

static sr_json *parse_container(parser *ps, int is_object) {
  if (++ps->depth > MAX_DEPTH) return NULL;
  sr_json *j = node(is_object ? SR_JSON_OBJECT : SR_JSON_ARRAY);
  if (j == NULL) return NULL;
  sr_json **tail = &j->child;
  char close = is_object ? '}' : ']';
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) { ps->p++; ps->depth--; return j; }
  for (;;) {
    char *key = NULL;
    if (is_object) {
      size_t klen;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != '"' || (key = parse_string(ps, &klen)) == NULL) goto fail;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') { free(key); goto fail; }
      ps->p++;
    }
    sr_json *v = parse_value(ps);
    if (v == NULL) { free(key); goto fail; }
    v->key = key;
    *tail = v;
    tail = &v->next;
    skip_ws(ps);
    if (ps->p >= ps->end) goto fail;
    if (*ps->p == ',') { ps->p++; continue; }
    if (*ps->p == close) { ps->p++; break; }
    goto fail;
  }
  ps->depth--;
  return j;
fail:
  sr_json_free(j);
  return NULL;
}

static sr_json *parse_value(parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) return NULL;
  switch (*ps->p) {
    case '{': return parse_container(ps, 1);
    case '[': return parse_container(ps, 0);
    case '"': {
      size_t n;
      char *s = parse_string(ps, &n);
      if (s == NULL) return NULL;
      sr_json *j = node(SR_JSON_STRING);
      if (j == NULL) { free(s); return NULL; }
      j->str = s;
      j->str_len = n;
      return j;
    }
    case 't': return literal(ps, "true") ? node(SR_JSON_TRUE) : NULL;
    case 'f': return literal(ps, "false") ? node(SR_JSON_FALSE) : NULL;
    case 'n': return literal(ps, "null") ? node(SR_JSON_NULL) : NULL;
    default: {
      double d;
      if (!parse_number(ps, &d)) return NULL;
      sr_json *j = node(SR_JSON_NUMBER);
      if (j != NULL) j->num = d;
      return j;
    }
  }
}

sr_json *sr_json_parse(const char *text, size_t len) {
  if (text == NULL) return NULL;
  parser ps = { text, text + len, 0 };
  sr_json *j = parse_value(&ps);
  if (j == NULL) return NULL;
  skip_ws(&ps);
  if (ps.p != ps.end) { sr_json_free(j); return NULL; }
  return j;
}

void sr_json_free(sr_json *j) {
  /* Iterative over siblings, recursive over depth (bounded by MAX_DEPTH). */
  while (j != NULL) {
    sr_json *next = j->next;
    sr_json_free(j->child);
    free(j->key);
    if (j->str != NULL) { OPENSSL_cleanse(j->str, j->str_len); free(j->str); }
    free(j);
    j = next;
  }
}

const sr_json *sr_json_get(const sr_json *obj, const char *key) {
  if (obj == NULL || obj->type != SR_JSON_OBJECT) return NULL;
  for (const sr_json *c = obj->child; c != NULL; c = c->next) {
    if (strcmp(c->key, key) == 0) return c;
  }
  return NULL;
}

const char *sr_json_str(const sr_json *obj, const char *key) {
  const sr_json *v = sr_json_get(obj, key);
  return v != NULL && v->type == SR_JSON_STRING ? v->str : NULL;
}

bool sr_json_bool(const sr_json *obj, const char *key, bool fallback) {
  const sr_json *v = sr_json_get(obj, key);
  if (v == NULL) return fallback;
  if (v->type == SR_JSON_TRUE) return true;
  if (v->type == SR_JSON_FALSE) return false;
  return fallback;
}

double sr_json_num(const sr_json *obj, const char *key, double fallback) {
  const sr_json *v = sr_json_get(obj, key);
  return v != NULL && v->type == SR_JSON_NUMBER ? v->num : fallback;
}
