/*
 * One slot's connection to Strongroom: the bearer token (client-credentials grant, cached and renewed before it
 * expires), bounded retries, and the mapping of every HTTP answer to a CK_RV, chosen on purpose.
 */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#define MAX_ATTEMPTS 4
#define MAX_RETRY_AFTER_S 10

struct sr_service {
  sr_http *api, *auth;     /* auth == api when the authority is the service itself */
  char *tenant, *client_id, *client_secret, *scope, *token_path;
  sr_mutex *mu;            /* guards the token */
  sr_buf token;            /* "Authorization: Bearer ...\r\n" */
  uint64_t token_renew_at; /* monotonic ms */
  uint64_t token_expires_at;
};

static void wipe_str(char *s) {
  if (s != NULL) { OPENSSL_cleanse(s, strlen(s)); free(s); }
}

/* Scope as the Azure SDK sends it: the service's origin without its port, plus /.default. */
static char *scope_for(const char *host) {
  size_t n = strlen(host) + 32;
  char *s = malloc(n);
  if (s != NULL) snprintf(s, n, "https://%s/.default", host);
  return s;
}

sr_service *sr_service_new(const sr_slot_config *cfg, unsigned timeout_seconds) {
  sr_service *s = calloc(1, sizeof *s);
  sr_json *cred = NULL;
  char *text = NULL;
  size_t len = 0;
  if (s == NULL) return NULL;
  s->mu = sr_mutex_new();
  s->api = sr_http_new(cfg, timeout_seconds);
  if (s->mu == NULL || s->api == NULL) goto fail;
  text = sr_read_file(cfg->credentials_file, 65536, &len);
  if (text == NULL) { sr_log("config: cannot read credentials_file %s", cfg->credentials_file); goto fail; }
  cred = sr_json_parse(text, len);
  const char *tenant = sr_json_str(cred, "tenantId"), *id = sr_json_str(cred, "clientId");
  const char *secret = sr_json_str(cred, "clientSecret"), *authority = sr_json_str(cred, "authorityHost");
  if (tenant == NULL || id == NULL || secret == NULL) { sr_log("config: credentials_file lacks tenantId/clientId/clientSecret"); goto fail; }
  s->tenant = strdup(tenant);
  s->client_id = strdup(id);
  s->client_secret = strdup(secret);
  s->scope = scope_for(sr_http_host(s->api));
  if (s->tenant == NULL || s->client_id == NULL || s->client_secret == NULL || s->scope == NULL) goto fail;
  /* The token endpoint lives on authorityHost, which is normally the service's own origin. */
  const char *auth_url = authority != NULL ? authority : cfg->url;
  size_t alen = strlen(auth_url);
  while (alen > 0 && auth_url[alen - 1] == '/') alen--;
  if (alen == strlen(cfg->url) && strncmp(auth_url, cfg->url, alen) == 0) {
    s->auth = s->api;
  } else {
    sr_slot_config ac = *cfg;
    ac.url = strndup(auth_url, alen);
    s->auth = ac.url != NULL && strncmp(ac.url, "https://", 8) == 0 ? sr_http_new(&ac, timeout_seconds) : NULL;
    free(ac.url);
    if (s->auth == NULL) goto fail;
  }
  size_t plen = strlen(s->tenant) + 32;
  s->token_path = malloc(plen);
  if (s->token_path == NULL) goto fail;
  snprintf(s->token_path, plen, "/%s/oauth2/v2.0/token", s->tenant);
  sr_json_free(cred);
  OPENSSL_cleanse(text, len);
  free(text);
  return s;
fail:
  sr_json_free(cred);
  if (text != NULL) { OPENSSL_cleanse(text, len); free(text); }
  sr_service_free(s);
  return NULL;
}

void sr_service_free(sr_service *s) {
  if (s == NULL) return;
  if (s->auth != s->api) sr_http_free(s->auth);
  sr_http_free(s->api);
  wipe_str(s->tenant);
  wipe_str(s->client_id);
  wipe_str(s->client_secret);
  free(s->scope);
  free(s->token_path);
  sr_buf_free(&s->token);
  sr_mutex_free(s->mu);
  free(s);
}

void sr_service_abandon(sr_service *s) {
  if (s == NULL) return;
  sr_http_abandon(s->api);
  if (s->auth != s->api) sr_http_abandon(s->auth);
  sr_mutex_reset(s->mu);
}

/* Asks for a token; called with s->mu held. */
static CK_RV fetch_token(sr_service *s) {
  sr_buf form = { 0 };
  sr_http_response resp = { 0 };
  CK_RV rv = CKR_HOST_MEMORY;
  bool built = sr_buf_addstr(&form, "grant_type=client_credentials&client_id=") && sr_form_encode(&form, s->client_id) &&
               sr_buf_addstr(&form, "&client_secret=") && sr_form_encode(&form, s->client_secret) &&
               sr_buf_addstr(&form, "&scope=") && sr_form_encode(&form, s->scope);
  if (!built) goto out;
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    rv = sr_http_request(s->auth, "POST", s->token_path, "Content-Type: application/x-www-form-urlencoded\r\n",
                         form.data, form.len, &resp);
    bool transient = rv != CKR_OK || resp.status == 429 || resp.status >= 500;
    if (!transient) break;
    unsigned wait = resp.retry_after > 0 ? resp.retry_after * 1000u : 100u << attempt;
    if (attempt + 1 < MAX_ATTEMPTS) sr_sleep_ms(wait > MAX_RETRY_AFTER_S * 1000u ? MAX_RETRY_AFTER_S * 1000u : wait);
  }
  if (rv != CKR_OK) goto out;
  if (resp.status != 200) {
    sr_log("auth: token endpoint answered %d", resp.status);
    rv = CKR_DEVICE_ERROR;
    goto out;
  }
  sr_json *j = sr_json_parse((const char *)resp.body.data, resp.body.len);
  const char *tok = sr_json_str(j, "access_token");
  double expires_in = sr_json_num(j, "expires_in", 0);
  if (tok == NULL || expires_in < 10) {
    sr_log("auth: token answer without access_token/expires_in (%zu bytes)", resp.body.len);
    sr_json_free(j);
    rv = CKR_DEVICE_ERROR;
    goto out;
  }
  sr_buf_free(&s->token);
  if (!sr_buf_printf(&s->token, "Authorization: Bearer %s\r\n", tok)) { sr_json_free(j); rv = CKR_HOST_MEMORY; goto out; }
  /* Renew once 80 % of the lifetime has passed (at least 5 s early), so a signing call never carries a token that
   * expires in flight. */
  uint64_t life_ms = (uint64_t)(expires_in * 1000.0);
  uint64_t margin = life_ms / 5 > 5000 ? life_ms / 5 : 5000;
  s->token_renew_at = sr_now_ms() + (life_ms > margin ? life_ms - margin : 0);
  s->token_expires_at = sr_now_ms() + life_ms;
  sr_json_free(j);
  rv = CKR_OK;
out:
  sr_buf_free(&form);
  sr_buf_free(&resp.body);
  return rv;
}

/* Copies the current Authorization header into `hdr`, renewing the token first when due (or when `force`). */
static CK_RV auth_header(sr_service *s, sr_buf *hdr, bool force) {
  sr_lock(s->mu);
  CK_RV rv = CKR_OK;
  if (force || s->token.len == 0 || sr_now_ms() >= s->token_renew_at) {
    rv = fetch_token(s);
    /* A renewal that fails early is not fatal: the current token is still good until it expires. */
    if (rv != CKR_OK && !force && s->token.len > 0 && sr_now_ms() + 5000 < s->token_expires_at) rv = CKR_OK;
  }
  if (rv == CKR_OK && !sr_buf_add(hdr, s->token.data, s->token.len)) rv = CKR_HOST_MEMORY;
  sr_unlock(s->mu);
  return rv;
}

/* The HTTP answer → CK_RV table (docs/pkcs11.md repeats it). 400s are refined by the caller, which knows the op. */
static CK_RV map_status(int status) {
  switch (status) {
    case 200: case 201: case 204: return CKR_OK;
    case 400: return SR_RV_BAD_REQUEST;
    case 401: return CKR_DEVICE_ERROR;              /* the credentials no longer work: an operator problem */
    case 403: return CKR_KEY_FUNCTION_NOT_PERMITTED; /* disabled, expired, key_ops, RBAC */
    case 404: return CKR_KEY_HANDLE_INVALID;         /* the key or version is gone */
    case 409: return CKR_FUNCTION_FAILED;            /* e.g. a deleted key of that name is recoverable */
    case 413: return CKR_DATA_LEN_RANGE;
    default: return CKR_DEVICE_ERROR;                /* 429/5xx after the retries, anything unexpected */
  }
}

CK_RV sr_service_call(sr_service *s, const char *method, const char *path, const sr_buf *body, sr_json **json) {
  sr_http_response resp = { 0 };
  sr_buf hdr = { 0 };
  bool renewed = false;
  CK_RV rv = CKR_DEVICE_ERROR;
  *json = NULL;
  for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    hdr.len = 0;
    rv = auth_header(s, &hdr, false);
    if (rv == CKR_OK && !sr_buf_addstr(&hdr, body != NULL ? "Content-Type: application/json\r\n" : "")) rv = CKR_HOST_MEMORY;
    if (rv != CKR_OK) { sr_log("auth: no token (0x%lx)", rv); break; }
    rv = sr_http_request(s->api, method, path, (const char *)hdr.data, body != NULL ? body->data : NULL,
                         body != NULL ? body->len : 0, &resp);
    if (rv == CKR_OK && resp.status == 401 && !renewed) {
      /* The token expired or was revoked early: renew once, without counting it as a retry. */
      renewed = true;
      sr_lock(s->mu);
      s->token.len = 0;
      sr_unlock(s->mu);
      attempt--;
      continue;
    }
    bool transient = rv == CKR_DEVICE_ERROR || (rv == CKR_OK && (resp.status == 429 || resp.status >= 500));
    if (!transient || attempt + 1 == MAX_ATTEMPTS) break;
    unsigned wait = resp.retry_after > 0 ? resp.retry_after * 1000u : 100u << attempt;
    if (wait > MAX_RETRY_AFTER_S * 1000u) wait = MAX_RETRY_AFTER_S * 1000u;
    sr_log("http: %s %s answered %d; retrying in %u ms", method, path, rv == CKR_OK ? resp.status : 0, wait);
    sr_sleep_ms(wait);
  }
  if (rv == CKR_OK) {
    rv = map_status(resp.status);
    if (rv != CKR_OK) {
      sr_json *err = sr_json_parse((const char *)resp.body.data, resp.body.len);
      const char *code = sr_json_str(sr_json_get(err, "error"), "code");
      sr_log("http: %s %s answered %d %s", method, path, resp.status, code != NULL ? code : "");
      sr_json_free(err);
      if (resp.status == 400) rv = SR_RV_BAD_REQUEST; /* the caller refines a 400: it knows the operation */
    } else {
      *json = sr_json_parse((const char *)resp.body.data, resp.body.len);
      if (*json == NULL && resp.body.len > 0) { sr_log("http: %s %s: the answer is not JSON", method, path); rv = CKR_DEVICE_ERROR; }
    }
  }
  sr_buf_free(&resp.body);
  sr_buf_free(&hdr);
  return rv;
}
