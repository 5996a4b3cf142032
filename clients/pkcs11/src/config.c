/*
 * The module's configuration file (STRONGROOM_PKCS11_CONFIG or pInitArgs->pReserved). Top-level members give
 * one slot; a `slots` list gives one slot per entry, each entry inheriting the top-level members it omits.
 * Unknown members are refused so a typo does not silently weaken the set-up.
 */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TOP_KEYS[] = { "url", "ca_file", "credentials_file", "client_certificate", "client_key",
  "key_filter", "slots", "refresh_interval_seconds", "generate_certs", "timeout_seconds", "log_file",
  "include_older_versions", "label", NULL };
static const char *const SLOT_KEYS[] = { "url", "ca_file", "credentials_file", "client_certificate", "client_key",
  "key_filter", "include_older_versions", "label", NULL };

static bool known(const sr_json *obj, const char *const *keys) {
  for (const sr_json *c = obj->child; c != NULL; c = c->next) {
    bool ok = false;
    for (size_t i = 0; keys[i] != NULL; i++) ok = ok || strcmp(c->key, keys[i]) == 0;
    if (!ok) { sr_log("config: unknown member \"%.40s\"", c->key); return false; }
  }
  return true;
}

/* A string member of `entry`, else of `top`; NULL when neither has it. Wrong types are refused. */
static bool pick(const sr_json *entry, const sr_json *top, const char *key, char **out) {
  const sr_json *v = sr_json_get(entry, key);
  if (v == NULL && top != NULL) v = sr_json_get(top, key);
  if (v == NULL || v->type == SR_JSON_NULL) { *out = NULL; return true; }
  if (v->type != SR_JSON_STRING) { sr_log("config: \"%s\" must be a string", key); return false; }
  *out = strdup(v->str);
  return *out != NULL;
}

static bool slot_from(const sr_json *entry, const sr_json *top, size_t index, sr_slot_config *s) {
  if (!pick(entry, top, "url", &s->url) || !pick(entry, top, "ca_file", &s->ca_file) ||
      !pick(entry, top, "credentials_file", &s->credentials_file) ||
      !pick(entry, top, "client_certificate", &s->client_certificate) ||
      !pick(entry, top, "client_key", &s->client_key) || !pick(entry, top, "key_filter", &s->key_filter) ||
      !pick(entry, NULL, "label", &s->label)) return false;
  s->include_older_versions = sr_json_bool(entry, "include_older_versions",
                                           top != NULL && sr_json_bool(top, "include_older_versions", false));
  if (s->url == NULL || strncmp(s->url, "https://", 8) != 0) { sr_log("config: slot %zu needs an https url", index); return false; }
  size_t ulen = strlen(s->url);
  while (ulen > 8 && s->url[ulen - 1] == '/') s->url[--ulen] = '\0';
  if (s->credentials_file == NULL) { sr_log("config: slot %zu needs credentials_file", index); return false; }
  if ((s->client_certificate == NULL) != (s->client_key == NULL)) {
    sr_log("config: client_certificate and client_key go together");
    return false;
  }
  if (s->label == NULL) {
    char tmp[40];
    snprintf(tmp, sizeof tmp, "Strongroom %zu", index);
    s->label = strdup(tmp);
    if (s->label == NULL) return false;
  }
  return true;
}

static bool uint_member(const sr_json *top, const char *key, unsigned fallback, unsigned lo, unsigned hi, unsigned *out) {
  const sr_json *v = sr_json_get(top, key);
  if (v == NULL) { *out = fallback; return true; }
  if (v->type != SR_JSON_NUMBER || v->num < lo || v->num > hi || v->num != (double)(unsigned)v->num) {
    sr_log("config: \"%s\" must be a whole number from %u to %u", key, lo, hi);
    return false;
  }
  *out = (unsigned)v->num;
  return true;
}

bool sr_config_parse(const char *text, size_t len, sr_config *out) {
  memset(out, 0, sizeof *out);
  sr_json *top = sr_json_parse(text, len);
  if (top == NULL || top->type != SR_JSON_OBJECT) { sr_log("config: not a JSON object"); sr_json_free(top); return false; }
  bool ok = known(top, TOP_KEYS) &&
            uint_member(top, "refresh_interval_seconds", 300, 1, 86400, &out->refresh_interval_seconds) &&
            uint_member(top, "timeout_seconds", 30, 1, 600, &out->timeout_seconds) &&
            pick(top, NULL, "log_file", &out->log_file);
  out->generate_certs = sr_json_bool(top, "generate_certs", false);
  const sr_json *slots = sr_json_get(top, "slots");
  if (ok && slots != NULL) {
    size_t n = 0;
    if (slots->type != SR_JSON_ARRAY) ok = false;
    for (const sr_json *c = ok ? slots->child : NULL; c != NULL; c = c->next) n++;
    if (ok && (n == 0 || n > 64)) { sr_log("config: slots must hold 1..64 entries"); ok = false; }
    out->slots = ok ? calloc(n, sizeof *out->slots) : NULL;
    ok = ok && out->slots != NULL;
    size_t i = 0;
    for (const sr_json *c = ok ? slots->child : NULL; c != NULL && ok; c = c->next, i++) {
      ok = c->type == SR_JSON_OBJECT && known(c, SLOT_KEYS) && slot_from(c, top, i, &out->slots[i]);
      out->nslots = i + 1;
    }
  } else if (ok) {
    out->slots = calloc(1, sizeof *out->slots);
    out->nslots = 1;
    ok = out->slots != NULL && slot_from(top, NULL, 0, &out->slots[0]);
  }
  sr_json_free(top);
  if (!ok) sr_config_free(out);
  return ok;
}

bool sr_config_load(const char *path, sr_config *out) {
  size_t len;
  char *text = sr_read_file(path, 1 << 20, &len);
  if (text == NULL) { sr_log("config: cannot read %s", path); return false; }
  bool ok = sr_config_parse(text, len, out);
  free(text);
  return ok;
}

void sr_config_free(sr_config *c) {
  for (size_t i = 0; c->slots != NULL && i < c->nslots; i++) {
    sr_slot_config *s = &c->slots[i];
    free(s->label); free(s->url); free(s->ca_file); free(s->credentials_file);
    free(s->client_certificate); free(s->client_key); free(s->key_filter);
  }
  free(c->slots);
  free(c->log_file);
  memset(c, 0, sizeof *c);
}
