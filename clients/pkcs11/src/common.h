/* Shared declarations of the Strongroom PKCS#11 module. Everything here is internal (hidden visibility). */
#ifndef SR_COMMON_H
#define SR_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <pthread.h>
#include "../include/cryptoki.h"
#include "json.h"

#define SR_INTERNAL __attribute__((visibility("hidden")))

/* ---- growable byte buffer ---- */
typedef struct { unsigned char *data; size_t len, cap; } sr_buf;
SR_INTERNAL bool sr_buf_add(sr_buf *b, const void *p, size_t n);
SR_INTERNAL bool sr_buf_addstr(sr_buf *b, const char *s);
SR_INTERNAL bool sr_buf_printf(sr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees after wiping: buffers may have held tokens or plaintext. */
SR_INTERNAL void sr_buf_free(sr_buf *b);

/* ---- base64url (no padding), as the service encodes binary members ---- */
SR_INTERNAL bool sr_b64url_encode(sr_buf *out, const unsigned char *in, size_t n);
SR_INTERNAL bool sr_b64url_decode(const char *in, size_t n, sr_buf *out);
/* Percent-encoding for form bodies (client secret, scope). */
SR_INTERNAL bool sr_form_encode(sr_buf *out, const char *s);

/* ---- logging (config `log_file`; never payloads, tokens or key material) ---- */
SR_INTERNAL void sr_log_open(const char *path);
SR_INTERNAL void sr_log_close(void);
SR_INTERNAL void sr_log_fork_child(void);
SR_INTERNAL void sr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- locks: the application's mutex callbacks when it gave them (C_Initialize), else pthreads ---- */
typedef struct sr_mutex sr_mutex;
SR_INTERNAL void sr_locks_use(CK_C_INITIALIZE_ARGS *args); /* NULL: pthreads */
SR_INTERNAL sr_mutex *sr_mutex_new(void);
SR_INTERNAL void sr_mutex_free(sr_mutex *m);
SR_INTERNAL void sr_mutex_reset(sr_mutex *m);
SR_INTERNAL void sr_lock(sr_mutex *m);
SR_INTERNAL void sr_unlock(sr_mutex *m);

SR_INTERNAL uint64_t sr_now_ms(void);
SR_INTERNAL void sr_sleep_ms(uint64_t ms);
SR_INTERNAL char *sr_strdup(const char *s);
SR_INTERNAL char *sr_read_file(const char *path, size_t max, size_t *len);

/* ---- configuration ---- */
typedef struct {
  char *label;              /* token label */
  char *url;                /* https://host[:port] */
  char *ca_file;
  char *credentials_file;   /* admin-credentials.json format */
  char *client_certificate; /* mutual TLS instead of, or beside, a client secret */
  char *client_key;
  char *key_filter;         /* name prefix */
  bool include_older_versions;
} sr_slot_config;

typedef struct {
  sr_slot_config *slots;
  size_t nslots;
  unsigned refresh_interval_seconds;
  unsigned timeout_seconds;
  bool generate_certs;
  char *log_file;
} sr_config;

/* Reads the file; on failure returns false and logs why. */
SR_INTERNAL bool sr_config_load(const char *path, sr_config *out);
SR_INTERNAL bool sr_config_parse(const char *text, size_t len, sr_config *out);
SR_INTERNAL void sr_config_free(sr_config *c);

/* ---- HTTPS client (own OSSL_LIB_CTX and SSL_CTX) ---- */
typedef struct sr_http sr_http;
typedef struct {
  int status;
  unsigned retry_after; /* seconds, 0 when absent */
  sr_buf body;
} sr_http_response;

typedef struct ossl_lib_ctx_st sr_libctx;
SR_INTERNAL sr_libctx *sr_crypto_libctx(void);
SR_INTERNAL bool sr_crypto_init(void);
SR_INTERNAL void sr_crypto_free(void);

SR_INTERNAL sr_http *sr_http_new(const sr_slot_config *cfg, unsigned timeout_seconds);
SR_INTERNAL void sr_http_free(sr_http *h);
/* Drops connections without a TLS shutdown: after fork they belong to the parent. */
SR_INTERNAL void sr_http_abandon(sr_http *h);
/* One exchange on a pooled keep-alive connection (a reused connection that fails is retried once fresh).
 * Returns CKR_OK with the response, or CKR_DEVICE_ERROR when no answer could be had. */
SR_INTERNAL CK_RV sr_http_request(sr_http *h, const char *method, const char *path, const char *headers,
                                  const void *body, size_t body_len, sr_http_response *resp);
SR_INTERNAL const char *sr_http_host(sr_http *h);
/* pthread_atfork handlers: fork waits for HTTPS exchanges in flight. */
SR_INTERNAL void sr_http_fork_prepare(void);
SR_INTERNAL void sr_http_fork_parent(void);
SR_INTERNAL void sr_http_fork_child(void);

/* Internal only, never returned to the application: a 400 that the caller maps for its operation. */
#define SR_RV_BAD_REQUEST 0x80000400UL

/* ---- the service: tokens, retries, error mapping, REST calls ---- */
typedef struct sr_service sr_service;
SR_INTERNAL sr_service *sr_service_new(const sr_slot_config *cfg, unsigned timeout_seconds);
SR_INTERNAL void sr_service_free(sr_service *s);
SR_INTERNAL void sr_service_abandon(sr_service *s);
/* A data-plane call with a bearer token: renews the token before expiry, retries 429/5xx with back-off, and
 * maps the final HTTP answer to a CK_RV. On CKR_OK *json is the parsed body (caller frees). */
SR_INTERNAL CK_RV sr_service_call(sr_service *s, const char *method, const char *path, const sr_buf *body, sr_json **json);

/* ---- keys as the module caches them ---- */
typedef enum { SR_FAMILY_RSA, SR_FAMILY_EC, SR_FAMILY_OCT } sr_family;
typedef enum { SR_CRV_ANY, SR_CRV_P256, SR_CRV_P256K, SR_CRV_P384, SR_CRV_P521 } sr_curve;
typedef enum { SR_HASH_NONE, SR_HASH_SHA1, SR_HASH_SHA256, SR_HASH_SHA384, SR_HASH_SHA512 } sr_hash;

#define SR_OP_SIGN 0x1u
#define SR_OP_VERIFY 0x2u
#define SR_OP_ENCRYPT 0x4u
#define SR_OP_DECRYPT 0x8u
#define SR_OP_WRAP 0x10u
#define SR_OP_UNWRAP 0x20u
#define SR_OP_IMPORT 0x40u /* a key-exchange key: BYOK import only (docs/byok.md) */

typedef struct evp_pkey_st sr_pkey;

typedef struct {
  char *name;
  char version[33];
  sr_family family;
  sr_curve curve;
  unsigned size_bits;       /* RSA modulus bits; EC field bits */
  unsigned ops;             /* key_ops */
  bool exportable;
  bool trusted, wrap_with_trusted;
  sr_pkey *pub;             /* RSA / EC public key */
  sr_buf modulus, exponent; /* RSA big-endian */
  sr_buf ec_params, ec_point; /* DER: named curve OID; OCTET STRING of the uncompressed point */
  sr_buf spki;              /* DER SubjectPublicKeyInfo */
  sr_buf cert;              /* DER self-signed certificate (generate_certs) */
  int64_t not_before, expires; /* 0 when absent */
} sr_key;

SR_INTERNAL void sr_key_free(sr_key *k);
/* Public keys from their parts, through a DER SubjectPublicKeyInfo (spki.c); `spki` receives the DER. */
SR_INTERNAL sr_pkey *sr_rsa_public(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen, sr_buf *spki);
SR_INTERNAL sr_pkey *sr_ec_public(const unsigned char *curve_oid_der, size_t olen, const unsigned char *point, size_t plen, sr_buf *spki);
/* Parses a KeyBundle. */
SR_INTERNAL CK_RV sr_key_from_bundle(const sr_json *bundle, sr_key *out);

SR_INTERNAL size_t sr_hash_len(sr_hash h);
SR_INTERNAL const char *sr_hash_name(sr_hash h);
SR_INTERNAL unsigned sr_curve_bytes(sr_curve c);

/* REST helpers (src/rest.c). */
SR_INTERNAL CK_RV sr_rest_list_keys(sr_service *s, const char *origin, const char *prefix, bool older, sr_key **keys, size_t *n);
SR_INTERNAL CK_RV sr_rest_sign(sr_service *s, const sr_key *k, const char *alg, const unsigned char *digest, size_t len, sr_buf *sig);
SR_INTERNAL CK_RV sr_rest_decrypt(sr_service *s, const sr_key *k, const char *alg, const unsigned char *ct, size_t len, sr_buf *pt);
SR_INTERNAL CK_RV sr_rest_aes(sr_service *s, const sr_key *k, bool encrypt, const char *alg, const unsigned char *in, size_t len,
                              const sr_buf *iv, const sr_buf *aad, const sr_buf *tag, sr_buf *out);
SR_INTERNAL unsigned sr_rest_aes_bits(sr_service *s, const sr_key *k);
SR_INTERNAL CK_RV sr_rest_random(sr_service *s, unsigned char *out, size_t len);
SR_INTERNAL CK_RV sr_rest_create(sr_service *s, const char *name, const char *body_json, sr_key *out);
SR_INTERNAL CK_RV sr_rest_delete(sr_service *s, const char *name);
/* POST /keys/{name}/{version}/unwrapkey: the key bytes `wrapped` protects (caller wipes them: sr_buf_free). */
SR_INTERNAL CK_RV sr_rest_unwrap(sr_service *s, const sr_key *k, const char *alg, const unsigned char *wrapped, size_t len, sr_buf *key);
/* PUT /keys/{name}: imports a JSON Web Key or a BYOK transfer blob (a body with key material: the caller wipes it).
 * A 400 answers `on_bad_request`. */
SR_INTERNAL CK_RV sr_rest_import(sr_service *s, const char *name, const sr_buf *body, CK_RV on_bad_request, sr_key *out);
/* The wrapping key of an export: a key of this instance (`kid`, its versioned id) or an outside RSA public key
 * (`jwk_kid` names it in the transfer blob). */
typedef struct {
  const sr_key *key;   /* token key of the same slot, or NULL */
  const char *kid;     /* with key: its id on the slot's origin */
  const sr_buf *n, *e; /* without key: the outside public key */
  const char *jwk_kid;
} sr_wrapping;
/* POST /keys/{name}/{version}/export: the RSA-AES wrap of `k`'s private form (the transfer blob's ciphertext).
 * A 403 is told apart by the key's and the wrapping key's current attributes: CKR_KEY_UNEXTRACTABLE,
 * CKR_KEY_NOT_WRAPPABLE (wrapWithTrusted), else CKR_KEY_FUNCTION_NOT_PERMITTED. */
SR_INTERNAL CK_RV sr_rest_export(sr_service *s, const sr_key *k, const sr_wrapping *w, const char *enc, sr_buf *ciphertext);

/* Self-signed certificate for generate_certs (src/cert.c); signs through the service. */
SR_INTERNAL CK_RV sr_cert_make(sr_service *s, sr_key *k);

#endif
