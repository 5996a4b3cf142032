/*
 * A small strict JSON (RFC 8259) parser into a tree. Hand-written rather than vendored so the module has no
 * third-party code; fuzzed by clients/pkcs11/fuzz/fuzz-json.c. Limits: depth 64, input as given by the caller
 * (the HTTP layer caps bodies at 4 MiB). Strings are decoded to UTF-8 (\u escapes incl. surrogate pairs);
 * embedded NULs are refused so every string is a C string.
 */
#ifndef SR_JSON_H
#define SR_JSON_H
#include <stddef.h>
#include <stdbool.h>

typedef enum { SR_JSON_NULL, SR_JSON_FALSE, SR_JSON_TRUE, SR_JSON_NUMBER, SR_JSON_STRING, SR_JSON_ARRAY, SR_JSON_OBJECT } sr_json_type;

typedef struct sr_json sr_json;
struct sr_json {
  sr_json_type type;
  char *key;       /* member name when inside an object */
  char *str;       /* STRING */
  size_t str_len;
  double num;      /* NUMBER */
  sr_json *child;  /* ARRAY / OBJECT: first element */
  sr_json *next;   /* next sibling */
};

__attribute__((visibility("hidden"))) sr_json *sr_json_parse(const char *text, size_t len);
__attribute__((visibility("hidden"))) void sr_json_free(sr_json *j);
/* Member lookup; NULL when `obj` is not an object or has no such member. */
__attribute__((visibility("hidden"))) const sr_json *sr_json_get(const sr_json *obj, const char *key);
/* The member's string, or NULL when absent or not a string. */
__attribute__((visibility("hidden"))) const char *sr_json_str(const sr_json *obj, const char *key);
/* The member's boolean, or `fallback` when absent or not a boolean. */
__attribute__((visibility("hidden"))) bool sr_json_bool(const sr_json *obj, const char *key, bool fallback);
/* The member's number, or `fallback`. */
__attribute__((visibility("hidden"))) double sr_json_num(const sr_json *obj, const char *key, double fallback);
#endif
