/*
 * The REST calls the module makes, and the KeyBundle → cached key conversion (public parts only: the service
 * never sends private material and the module never asks for it).
 */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#define API "api-version=7.5"
#define API_BYOK "api-version=7.6" /* export, and import of a transfer blob (key_hsm) */

size_t sr_hash_len(sr_hash h) {
  switch (h) {
    case SR_HASH_SHA1: return 20;
    case SR_HASH_SHA256: return 32;
    case SR_HASH_SHA384: return 48;
    case SR_HASH_SHA512: return 64;
    default: return 0;
  }
}

const char *sr_hash_name(sr_hash h) {
  switch (h) {
    case SR_HASH_SHA1: return "SHA1";
    case SR_HASH_SHA256: return "SHA256";
    case SR_HASH_SHA384: return "SHA384";
    case SR_HASH_SHA512: return "SHA512";
    default: return NULL;
  }
}

unsigned sr_curve_bytes(sr_curve c) {
  switch (c) {
    case SR_CRV_P256: case SR_CRV_P256K: return 32;
    case SR_CRV_P384: return 48;
    case SR_CRV_P521: return 66;
    default: return 0;
  }
}

void sr_key_free(sr_key *k) {
  free(k->name);
  EVP_PKEY_free(k->pub);
  sr_buf_free(&k->modulus);
  sr_buf_free(&k->exponent);
  sr_buf_free(&k->ec_params);
  sr_buf_free(&k->ec_point);
  sr_buf_free(&k->spki);
  sr_buf_free(&k->cert);
  memset(k, 0, sizeof *k);
}

static bool valid_name(const char *s, size_t n) {
  if (n == 0 || n > 127) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

/* ".../keys/{name}/{version}" → name, version (version may be absent). */
static bool parse_kid(const char *kid, char **name, char version[33]) {
  const char *p = strstr(kid, "/keys/");
  if (p == NULL) return false;
  p += 6;
  const char *slash = strchr(p, '/');
  size_t nlen = slash != NULL ? (size_t)(slash - p) : strlen(p);
  if (!valid_name(p, nlen)) return false;
  version[0] = '\0';
  if (slash != NULL) {
    size_t vlen = strlen(slash + 1);
    if (vlen > 32 || !valid_name(slash + 1, vlen)) return false;
    memcpy(version, slash + 1, vlen + 1);
  }
  *name = strndup(p, nlen);
  return *name != NULL;
}

static unsigned parse_ops(const sr_json *ops) {
  unsigned out = 0;
  for (const sr_json *o = ops != NULL && ops->type == SR_JSON_ARRAY ? ops->child : NULL; o != NULL; o = o->next) {
    if (o->type != SR_JSON_STRING) continue;
    if (strcmp(o->str, "sign") == 0) out |= SR_OP_SIGN;
    else if (strcmp(o->str, "verify") == 0) out |= SR_OP_VERIFY;
    else if (strcmp(o->str, "encrypt") == 0) out |= SR_OP_ENCRYPT;
    else if (strcmp(o->str, "decrypt") == 0) out |= SR_OP_DECRYPT;
    else if (strcmp(o->str, "wrapKey") == 0) out |= SR_OP_WRAP;
    else if (strcmp(o->str, "unwrapKey") == 0) out |= SR_OP_UNWRAP;
    else if (strcmp(o->str, "import") == 0) out |= SR_OP_IMPORT;
  }
  return out;
}

static bool b64_member(const sr_json *obj, const char *key, sr_buf *out) {
  const sr_json *v = sr_json_get(obj, key);
  return v != NULL && v->type == SR_JSON_STRING && sr_b64url_decode(v->str, v->str_len, out) && out->len > 0;
}

static bool der_octet_string(sr_buf *out, const unsigned char *p, size_t n) {
  unsigned char hdr[4] = { 0x04 };
  size_t hl;
  if (n < 128) { hdr[1] = (unsigned char)n; hl = 2; }
  else if (n < 256) { hdr[1] = 0x81; hdr[2] = (unsigned char)n; hl = 3; }
  else { hdr[1] = 0x82; hdr[2] = (unsigned char)(n >> 8); hdr[3] = (unsigned char)n; hl = 4; }
  return sr_buf_add(out, hdr, hl) && sr_buf_add(out, p, n);
}

static CK_RV build_rsa(sr_key *k) {
  /* The service pads the modulus to its byte length; strip any leading zero byte so CKA_MODULUS is minimal. */
  while (k->modulus.len > 1 && k->modulus.data[0] == 0) { memmove(k->modulus.data, k->modulus.data + 1, --k->modulus.len); }
  k->pub = sr_rsa_public(k->modulus.data, k->modulus.len, k->exponent.data, k->exponent.len, &k->spki);
  if (k->pub == NULL) return CKR_DEVICE_ERROR;
  k->size_bits = (unsigned)EVP_PKEY_get_bits(k->pub);
  return CKR_OK;
}

static const struct { const char *jwk, *group; sr_curve curve; unsigned bits; } CURVES[] = {
  { "P-256", "prime256v1", SR_CRV_P256, 256 },
  { "P-256K", "secp256k1", SR_CRV_P256K, 256 },
  { "P-384", "secp384r1", SR_CRV_P384, 384 },
  { "P-521", "secp521r1", SR_CRV_P521, 521 },
};

static CK_RV build_ec(sr_key *k, const char *crv, const sr_buf *x, const sr_buf *y) {
  const char *group = NULL;
  for (size_t i = 0; i < sizeof CURVES / sizeof CURVES[0]; i++) {
    if (crv != NULL && strcmp(crv, CURVES[i].jwk) == 0) { group = CURVES[i].group; k->curve = CURVES[i].curve; k->size_bits = CURVES[i].bits; }
  }
  if (group == NULL) return CKR_DEVICE_ERROR;
  unsigned cb = sr_curve_bytes(k->curve);
  if (x->len > cb || y->len > cb) return CKR_DEVICE_ERROR;
  unsigned char point[1 + 2 * 66] = { 0x04 };
  memcpy(point + 1 + (cb - x->len), x->data, x->len);
  memcpy(point + 1 + cb + (cb - y->len), y->data, y->len);
  size_t plen = 1 + 2 * (size_t)cb;
  CK_RV rv = CKR_DEVICE_ERROR;
  ASN1_OBJECT *oid = OBJ_txt2obj(group, 0);
  unsigned char *der = NULL;
  int dlen;
  if (oid == NULL || (dlen = i2d_ASN1_OBJECT(oid, &der)) <= 0 || !sr_buf_add(&k->ec_params, der, (size_t)dlen) ||
      !der_octet_string(&k->ec_point, point, plen)) goto out;
  k->pub = sr_ec_public(k->ec_params.data, k->ec_params.len, point, plen, &k->spki);
  if (k->pub != NULL) rv = CKR_OK;
out:
  OPENSSL_free(der);
  ASN1_OBJECT_free(oid);
  return rv;
}

CK_RV sr_key_from_bundle(const sr_json *bundle, sr_key *k) {
  memset(k, 0, sizeof *k);
  const sr_json *jwk = sr_json_get(bundle, "key"), *attrs = sr_json_get(bundle, "attributes");
  const char *kid = sr_json_str(jwk, "kid"), *kty = sr_json_str(jwk, "kty");
  if (kid == NULL || kty == NULL || !parse_kid(kid, &k->name, k->version) || k->version[0] == '\0') {
    sr_key_free(k);
    return CKR_DEVICE_ERROR;
  }
  k->ops = parse_ops(sr_json_get(jwk, "key_ops"));
  k->exportable = sr_json_bool(attrs, "exportable", false);
  k->trusted = sr_json_bool(attrs, "trusted", false);
  k->wrap_with_trusted = sr_json_bool(attrs, "wrapWithTrusted", false);
  k->not_before = (int64_t)sr_json_num(attrs, "nbf", 0);
  k->expires = (int64_t)sr_json_num(attrs, "exp", 0);
  CK_RV rv = CKR_DEVICE_ERROR;
  if (strncmp(kty, "RSA", 3) == 0) {
    k->family = SR_FAMILY_RSA;
    if (b64_member(jwk, "n", &k->modulus) && b64_member(jwk, "e", &k->exponent)) rv = build_rsa(k);
  } else if (strncmp(kty, "EC", 2) == 0) {
    k->family = SR_FAMILY_EC;
    sr_buf x = { 0 }, y = { 0 };
    if (b64_member(jwk, "x", &x) && b64_member(jwk, "y", &y)) rv = build_ec(k, sr_json_str(jwk, "crv"), &x, &y);
    sr_buf_free(&x);
    sr_buf_free(&y);
  } else if (strncmp(kty, "oct", 3) == 0) {
    k->family = SR_FAMILY_OCT;
    rv = CKR_OK;
  }
  if (rv != CKR_OK) {
    unsigned long e = ERR_get_error();
    char msg[256];
    ERR_error_string_n(e, msg, sizeof msg);
    sr_log("keys: cannot use the key bundle of %s (%s)", k->name != NULL ? k->name : "?", msg);
    ERR_clear_error();
    sr_key_free(k);
  }
  return rv;
}

/* nextLink is absolute; follow it only on our own origin (the bearer token goes with it). */
static char *next_path(const sr_json *page, const char *origin) {
  const char *next = sr_json_str(page, "nextLink");
  size_t ol = strlen(origin);
  if (next == NULL || strncmp(next, origin, ol) != 0 || next[ol] != '/') return NULL;
  return strdup(next + ol);
}

static CK_RV get_bundle(sr_service *s, const char *name, const char *version, sr_key *out) {
  char path[256];
  snprintf(path, sizeof path, "/keys/%s/%s?" API, name, version);
  sr_json *j;
  CK_RV rv = sr_service_call(s, "GET", path, NULL, &j);
  if (rv == CKR_OK) rv = sr_key_from_bundle(j, out);
  sr_json_free(j);
  return rv;
}

static bool push_key(sr_key **keys, size_t *n, size_t *cap, sr_key *k) {
  if (*n == *cap) {
    size_t nc = *cap == 0 ? 16 : *cap * 2;
    sr_key *nk = realloc(*keys, nc * sizeof *nk);
    if (nk == NULL) return false;
    *keys = nk;
    *cap = nc;
  }
  (*keys)[(*n)++] = *k;
  return true;
}

/* Adds the enabled older versions of `name` (all but `latest`). */
static CK_RV add_versions(sr_service *s, const char *origin, const char *name, const char *latest, sr_key **keys, size_t *n, size_t *cap) {
  char first[256];
  snprintf(first, sizeof first, "/keys/%s/versions?" API "&maxresults=25", name);
  char *path = strdup(first);
  CK_RV rv = CKR_OK;
  while (path != NULL && rv == CKR_OK) {
    sr_json *page;
    rv = sr_service_call(s, "GET", path, NULL, &page);
    free(path);
    path = NULL;
    if (rv != CKR_OK) break;
    for (const sr_json *it = sr_json_get(page, "value") != NULL ? sr_json_get(page, "value")->child : NULL; it != NULL && rv == CKR_OK; it = it->next) {
      char *nm = NULL, ver[33];
      const char *kid = sr_json_str(it, "kid");
      if (kid == NULL || !parse_kid(kid, &nm, ver) || ver[0] == '\0' || strcmp(ver, latest) == 0 ||
          !sr_json_bool(sr_json_get(it, "attributes"), "enabled", false)) { free(nm); continue; }
      sr_key k;
      rv = get_bundle(s, nm, ver, &k);
      free(nm);
      if (rv == CKR_KEY_HANDLE_INVALID) { rv = CKR_OK; continue; }
      if (rv == CKR_OK && !push_key(keys, n, cap, &k)) { sr_key_free(&k); rv = CKR_HOST_MEMORY; }
    }
    path = rv == CKR_OK ? next_path(page, origin) : NULL;
    sr_json_free(page);
  }
  free(path);
  return rv;
}

CK_RV sr_rest_list_keys(sr_service *s, const char *origin, const char *prefix, bool older, sr_key **keys_out, size_t *n_out) {
  sr_key *keys = NULL;
  size_t n = 0, cap = 0;
  char *path = strdup("/keys?" API "&maxresults=25");
  CK_RV rv = CKR_OK;
  while (path != NULL && rv == CKR_OK) {
    sr_json *page;
    rv = sr_service_call(s, "GET", path, NULL, &page);
    free(path);
    path = NULL;
    if (rv != CKR_OK) break;
    const sr_json *value = sr_json_get(page, "value");
    for (const sr_json *it = value != NULL ? value->child : NULL; it != NULL && rv == CKR_OK; it = it->next) {
      char *name = NULL, ver[33];
      const char *kid = sr_json_str(it, "kid");
      if (kid == NULL || !parse_kid(kid, &name, ver)) continue;
      bool wanted = (prefix == NULL || strncmp(name, prefix, strlen(prefix)) == 0);
      sr_key k;
      /* A key whose latest version is disabled shows nothing; older enabled versions still may. */
      CK_RV r = wanted ? get_bundle(s, name, "", &k) : CKR_KEY_HANDLE_INVALID;
      if (r == CKR_OK) {
        char latest[33];
        memcpy(latest, k.version, sizeof latest);
        bool enabled = sr_json_bool(sr_json_get(it, "attributes"), "enabled", false);
        if (enabled) {
          if (!push_key(&keys, &n, &cap, &k)) { sr_key_free(&k); rv = CKR_HOST_MEMORY; }
        } else {
          sr_key_free(&k);
        }
        if (rv == CKR_OK && older) rv = add_versions(s, origin, name, latest, &keys, &n, &cap);
      } else if (r != CKR_KEY_HANDLE_INVALID && r != CKR_KEY_FUNCTION_NOT_PERMITTED) {
        rv = r;
      }
      free(name);
    }
    path = rv == CKR_OK ? next_path(page, origin) : NULL;
    sr_json_free(page);
  }
  free(path);
  if (rv != CKR_OK) {
    for (size_t i = 0; i < n; i++) sr_key_free(&keys[i]);
    free(keys);
    return rv;
  }
  *keys_out = keys;
  *n_out = n;
  return CKR_OK;
}

/* {"alg":..., "value": b64url(data)} */
static bool op_body(sr_buf *b, const char *alg, const unsigned char *data, size_t len) {
  return sr_buf_printf(b, "{\"alg\":\"%s\",\"value\":\"", alg) && sr_b64url_encode(b, data, len) && sr_buf_addstr(b, "\"}");
}

static CK_RV key_op(sr_service *s, const sr_key *k, const char *op, const char *alg, const unsigned char *in, size_t len,
                    sr_buf *out, CK_RV on_bad_request) {
  char path[256];
  snprintf(path, sizeof path, "/keys/%s/%s/%s?" API, k->name, k->version, op);
  sr_buf body = { 0 };
  if (!op_body(&body, alg, in, len)) { sr_buf_free(&body); return CKR_HOST_MEMORY; }
  sr_json *j;
  CK_RV rv = sr_service_call(s, "POST", path, &body, &j);
  sr_buf_free(&body);
  if (rv == SR_RV_BAD_REQUEST) return on_bad_request;
  if (rv != CKR_OK) return rv;
  const sr_json *v = sr_json_get(j, "value");
  if (v == NULL || v->type != SR_JSON_STRING || !sr_b64url_decode(v->str, v->str_len, out)) rv = CKR_DEVICE_ERROR;
  sr_json_free(j);
  return rv;
}

/* An AES encrypt/decrypt: optional iv, aad and tag go along as base64url members. */
CK_RV sr_rest_aes(sr_service *s, const sr_key *k, bool encrypt, const char *alg, const unsigned char *in, size_t len,
                  const sr_buf *iv, const sr_buf *aad, const sr_buf *tag, sr_buf *out) {
  char path[256];
  snprintf(path, sizeof path, "/keys/%s/%s/%s?" API, k->name, k->version, encrypt ? "encrypt" : "decrypt");
  sr_buf body = { 0 };
  bool ok = sr_buf_printf(&body, "{\"alg\":\"%s\",\"value\":\"", alg) && sr_b64url_encode(&body, in, len);
  const struct { const char *name; const sr_buf *v; } extra[] = { { "iv", iv }, { "aad", aad }, { "tag", tag } };
  for (size_t i = 0; ok && i < 3; i++) {
    if (extra[i].v == NULL || extra[i].v->len == 0) continue;
    ok = sr_buf_printf(&body, "\",\"%s\":\"", extra[i].name) && sr_b64url_encode(&body, extra[i].v->data, extra[i].v->len);
  }
  ok = ok && sr_buf_addstr(&body, "\"}");
  if (!ok) { sr_buf_free(&body); return CKR_HOST_MEMORY; }
  sr_json *j;
  CK_RV rv = sr_service_call(s, "POST", path, &body, &j);
  sr_buf_free(&body);
  if (rv == SR_RV_BAD_REQUEST) return encrypt ? CKR_DATA_INVALID : CKR_ENCRYPTED_DATA_INVALID;
  if (rv != CKR_OK) return rv;
  const sr_json *v = sr_json_get(j, "value");
  if (v == NULL || v->type != SR_JSON_STRING || !sr_b64url_decode(v->str, v->str_len, out)) rv = CKR_DEVICE_ERROR;
  sr_json_free(j);
  return rv;
}

/* The size of an AES key, which the KeyBundle does not carry: the sizes are tried with one CBC block, largest
 * first; a 400 means "another size". 0 when the key cannot encrypt. */
unsigned sr_rest_aes_bits(sr_service *s, const sr_key *k) {
  if (!(k->ops & SR_OP_ENCRYPT)) return 0;
  static const unsigned sizes[] = { 256, 192, 128 };
  unsigned char zero[16] = { 0 };
  sr_buf iv = { 0 };
  if (!sr_buf_add(&iv, zero, sizeof zero)) return 0;
  unsigned found = 0;
  for (size_t i = 0; i < 3 && found == 0; i++) {
    char alg[16];
    snprintf(alg, sizeof alg, "A%uCBC", sizes[i]);
    sr_buf out = { 0 };
    CK_RV rv = sr_rest_aes(s, k, true, alg, zero, sizeof zero, &iv, NULL, NULL, &out);
    sr_buf_free(&out);
    if (rv == CKR_OK) found = sizes[i];
    else if (rv != CKR_DATA_INVALID) break; /* not a size mismatch: give up */
  }
  sr_buf_free(&iv);
  return found;
}

CK_RV sr_rest_sign(sr_service *s, const sr_key *k, const char *alg, const unsigned char *digest, size_t len, sr_buf *sig) {
  return key_op(s, k, "sign", alg, digest, len, sig, CKR_DATA_LEN_RANGE);
}

CK_RV sr_rest_decrypt(sr_service *s, const sr_key *k, const char *alg, const unsigned char *ct, size_t len, sr_buf *pt) {
  /* One answer for every decrypt failure (the service gives no oracle; neither does the module). */
  return key_op(s, k, "decrypt", alg, ct, len, pt, CKR_ENCRYPTED_DATA_INVALID);
}

CK_RV sr_rest_random(sr_service *s, unsigned char *out, size_t len) {
  while (len > 0) {
    size_t n = len > 128 ? 128 : len;
    sr_buf body = { 0 }, value = { 0 };
    sr_json *j;
    if (!sr_buf_printf(&body, "{\"count\":%zu}", n)) return CKR_HOST_MEMORY;
    CK_RV rv = sr_service_call(s, "POST", "/rng?" API, &body, &j);
    sr_buf_free(&body);
    if (rv == SR_RV_BAD_REQUEST) rv = CKR_DEVICE_ERROR;
    if (rv != CKR_OK) return rv;
    const sr_json *v = sr_json_get(j, "value");
    if (v == NULL || v->type != SR_JSON_STRING || !sr_b64url_decode(v->str, v->str_len, &value) || value.len != n) rv = CKR_DEVICE_ERROR;
    sr_json_free(j);
    if (rv == CKR_OK) memcpy(out, value.data, n);
    sr_buf_free(&value);
    if (rv != CKR_OK) return rv;
    out += n;
    len -= n;
  }
  return CKR_OK;
}

CK_RV sr_rest_create(sr_service *s, const char *name, const char *body_json, sr_key *out) {
  if (!valid_name(name, strlen(name))) return CKR_ATTRIBUTE_VALUE_INVALID;
  char path[256];
  snprintf(path, sizeof path, "/keys/%s/create?" API, name);
  sr_buf body = { 0 };
  if (!sr_buf_addstr(&body, body_json)) return CKR_HOST_MEMORY;
  sr_json *j;
  CK_RV rv = sr_service_call(s, "POST", path, &body, &j);
  sr_buf_free(&body);
  if (rv == SR_RV_BAD_REQUEST) return CKR_TEMPLATE_INCONSISTENT;
  if (rv == CKR_FUNCTION_FAILED) return CKR_ACTION_PROHIBITED; /* 409: the name belongs to a deleted key */
  if (rv == CKR_OK) rv = sr_key_from_bundle(j, out);
  sr_json_free(j);
  return rv;
}

CK_RV sr_rest_delete(sr_service *s, const char *name) {
  char path[256];
  snprintf(path, sizeof path, "/keys/%s?" API, name);
  sr_json *j;
  CK_RV rv = sr_service_call(s, "DELETE", path, NULL, &j);
  sr_json_free(j);
  if (rv == SR_RV_BAD_REQUEST) rv = CKR_FUNCTION_FAILED;
  if (rv == CKR_KEY_HANDLE_INVALID) rv = CKR_OBJECT_HANDLE_INVALID;
  return rv;
}

CK_RV sr_rest_unwrap(sr_service *s, const sr_key *k, const char *alg, const unsigned char *wrapped, size_t len, sr_buf *key) {
  /* One answer for every unwrap failure, as for decrypt. */
  CK_RV rv = key_op(s, k, "unwrapkey", alg, wrapped, len, key, CKR_WRAPPED_KEY_INVALID);
  if (rv == CKR_KEY_HANDLE_INVALID) rv = CKR_UNWRAPPING_KEY_HANDLE_INVALID;
  return rv;
}

CK_RV sr_rest_import(sr_service *s, const char *name, const sr_buf *body, CK_RV on_bad_request, sr_key *out) {
  if (!valid_name(name, strlen(name))) return CKR_ATTRIBUTE_VALUE_INVALID;
  char path[256];
  snprintf(path, sizeof path, "/keys/%s?" API_BYOK, name);
  sr_json *j;
  CK_RV rv = sr_service_call(s, "PUT", path, body, &j);
  if (rv == SR_RV_BAD_REQUEST) return on_bad_request;
  if (rv == CKR_FUNCTION_FAILED) return CKR_ACTION_PROHIBITED; /* 409: the name belongs to a deleted key */
  if (rv == CKR_OK) rv = sr_key_from_bundle(j, out);
  sr_json_free(j);
  return rv;
}

/* JSON string content: the module writes only what needs no escaping (the callers check). */
static bool json_plain(const char *s) {
  for (; *s != '\0'; s++) if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\') return false;
  return true;
}

/* Why the service refused an export with 403, from the current attributes of the key and the wrapping key. */
static CK_RV export_refusal(sr_service *s, const sr_key *k, const sr_wrapping *w) {
  sr_key now, wnow;
  bool have = get_bundle(s, k->name, k->version, &now) == CKR_OK;
  bool exportable = have ? now.exportable : k->exportable;
  bool with_trusted = have ? now.wrap_with_trusted : k->wrap_with_trusted;
  if (have) sr_key_free(&now);
  bool trusted = false, may_wrap = true;
  if (w->key != NULL) {
    bool whave = get_bundle(s, w->key->name, w->key->version, &wnow) == CKR_OK;
    trusted = whave ? wnow.trusted : w->key->trusted;
    may_wrap = ((whave ? wnow.ops : w->key->ops) & (SR_OP_WRAP | SR_OP_IMPORT)) != 0;
    if (whave) sr_key_free(&wnow);
  }
  if (!exportable) return CKR_KEY_UNEXTRACTABLE;
  if (!may_wrap) return CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
  if (with_trusted && !trusted) return CKR_KEY_NOT_WRAPPABLE;
  return CKR_KEY_FUNCTION_NOT_PERMITTED; /* a disabled key or wrapping key, RBAC (keys/export/action) */
}

CK_RV sr_rest_export(sr_service *s, const sr_key *k, const sr_wrapping *w, const char *enc, sr_buf *ciphertext) {
  char path[256];
  snprintf(path, sizeof path, "/keys/%s/%s/export?" API_BYOK, k->name, k->version);
  if (!json_plain(w->key != NULL ? w->kid : w->jwk_kid)) return CKR_WRAPPING_KEY_HANDLE_INVALID; /* the callers make them plain */
  sr_buf body = { 0 };
  bool ok;
  if (w->key != NULL) {
    ok = sr_buf_printf(&body, "{\"wrappingKid\":\"%s\"", w->kid);
  } else {
    ok = sr_buf_addstr(&body, "{\"wrappingKey\":{\"kty\":\"RSA\",\"n\":\"") &&
         sr_b64url_encode(&body, w->n->data, w->n->len) && sr_buf_addstr(&body, "\",\"e\":\"") &&
         sr_b64url_encode(&body, w->e->data, w->e->len) && sr_buf_printf(&body, "\",\"kid\":\"%s\"}", w->jwk_kid);
  }
  ok = ok && sr_buf_printf(&body, ",\"enc\":\"%s\"}", enc);
  if (!ok) { sr_buf_free(&body); return CKR_HOST_MEMORY; }
  sr_json *j;
  CK_RV rv = sr_service_call(s, "POST", path, &body, &j);
  sr_buf_free(&body);
  /* 400: the wrapping key is no RSA key of this instance (any more), or the service refused the outside key. */
  if (rv == SR_RV_BAD_REQUEST) return w->key != NULL ? CKR_WRAPPING_KEY_HANDLE_INVALID : CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
  if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED) return export_refusal(s, k, w);
  if (rv != CKR_OK) return rv;
  /* key.key_hsm: base64url of the transfer blob's JSON; its ciphertext is what C_WrapKey answers. */
  sr_buf blob = { 0 };
  sr_json *t = NULL;
  const sr_json *hsm = sr_json_get(sr_json_get(j, "key"), "key_hsm");
  rv = CKR_DEVICE_ERROR;
  if (hsm != NULL && hsm->type == SR_JSON_STRING && sr_b64url_decode(hsm->str, hsm->str_len, &blob) &&
      (t = sr_json_parse((const char *)blob.data, blob.len)) != NULL) {
    const sr_json *ct = sr_json_get(t, "ciphertext");
    const char *got = sr_json_str(sr_json_get(t, "header"), "enc");
    if (ct != NULL && ct->type == SR_JSON_STRING && got != NULL && strcmp(got, enc) == 0 &&
        sr_b64url_decode(ct->str, ct->str_len, ciphertext) && ciphertext->len > 0) rv = CKR_OK;
  }
  if (rv != CKR_OK) sr_log("export: %s/%s: the answer holds no transfer blob", k->name, k->version);
  sr_json_free(t);
  sr_buf_free(&blob);
  sr_json_free(j);
  return rv;
}
