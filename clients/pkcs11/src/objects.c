/*
 * Objects: each key version as attribute lists (private + public key, optionally a certificate), built once per
 * refresh so that C_FindObjects and C_GetAttributeValue never touch the network. Handles are a hash of
 * (slot, name, version, class): stable across refreshes, re-initialisation and fork.
 */
#include "module.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define SESSION_HANDLE_BIT 0x800000000000UL

void sr_keyref_unref(sr_keyref *k) {
  if (k != NULL && atomic_fetch_sub(&k->refs, 1) == 1) { sr_key_free(&k->k); free(k); }
}

void sr_object_unref(sr_object *o) {
  if (o == NULL || atomic_fetch_sub(&o->refs, 1) != 1) return;
  for (size_t i = 0; i < o->nattrs; i++) {
    if (o->attrs[i].value != NULL) { OPENSSL_cleanse(o->attrs[i].value, o->attrs[i].len); free(o->attrs[i].value); }
  }
  free(o->attrs);
  sr_keyref_unref(o->key);
  free(o);
}

void sr_objset_unref(sr_objset *s) {
  if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1) return;
  for (size_t i = 0; i < s->n; i++) sr_object_unref(s->objs[i]);
  free(s->objs);
  free(s);
}

sr_objset *sr_slot_objects(sr_slot *slot) {
  sr_lock(slot->mu);
  sr_objset *s = slot->objs;
  if (s != NULL) atomic_fetch_add(&s->refs, 1);
  sr_unlock(slot->mu);
  return s;
}

sr_object *sr_slot_find_object(sr_slot *slot, CK_OBJECT_HANDLE h) {
  sr_object *found = NULL;
  sr_lock(slot->mu);
  sr_objset *s = slot->objs;
  for (size_t i = 0; s != NULL && i < s->n && found == NULL; i++) if (s->objs[i]->handle == h) found = s->objs[i];
  for (size_t i = 0; i < slot->nsobjs && found == NULL; i++) if (slot->sobjs[i]->handle == h) found = slot->sobjs[i];
  if (found != NULL) atomic_fetch_add(&found->refs, 1);
  sr_unlock(slot->mu);
  return found;
}

const sr_attr *sr_object_attr(const sr_object *o, CK_ATTRIBUTE_TYPE t) {
  for (size_t i = 0; i < o->nattrs; i++) if (o->attrs[i].type == t) return &o->attrs[i];
  return NULL;
}

bool sr_object_bool(const sr_object *o, CK_ATTRIBUTE_TYPE t) {
  const sr_attr *a = sr_object_attr(o, t);
  return a != NULL && a->len == sizeof(CK_BBOOL) && a->value[0] == CK_TRUE;
}

bool sr_object_matches(const sr_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n) {
  for (CK_ULONG i = 0; i < n; i++) {
    const sr_attr *a = sr_object_attr(o, tmpl[i].type);
    if (a == NULL || a->sensitive || a->len != tmpl[i].ulValueLen) return false;
    if (a->len > 0 && memcmp(a->value, tmpl[i].pValue, a->len) != 0) return false;
  }
  return true;
}

CK_RV sr_object_get_attributes(const sr_object *o, CK_ATTRIBUTE *tmpl, CK_ULONG n) {
  /* PKCS#11 5.7.5: process every entry; the answer is the last problem met, sensitive and invalid types winning
   * over a short buffer as the spec's precedence allows. */
  CK_RV rv = CKR_OK;
  for (CK_ULONG i = 0; i < n; i++) {
    const sr_attr *a = sr_object_attr(o, tmpl[i].type);
    if (a == NULL) { tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION; rv = CKR_ATTRIBUTE_TYPE_INVALID; continue; }
    if (a->sensitive) { tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION; rv = CKR_ATTRIBUTE_SENSITIVE; continue; }
    if (tmpl[i].pValue == NULL) { tmpl[i].ulValueLen = a->len; continue; }
    if (tmpl[i].ulValueLen < a->len) {
      tmpl[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
      if (rv == CKR_OK) rv = CKR_BUFFER_TOO_SMALL;
      continue;
    }
    if (a->len > 0) memcpy(tmpl[i].pValue, a->value, a->len);
    tmpl[i].ulValueLen = a->len;
  }
  return rv;
}

/* ---- building attribute lists ---- */
typedef struct { sr_attr *a; size_t n, cap; bool oom; } attr_list;

static void put(attr_list *l, CK_ATTRIBUTE_TYPE t, const void *v, size_t len, bool sensitive) {
  if (l->oom) return;
  if (l->n == l->cap) {
    size_t cap = l->cap == 0 ? 48 : l->cap * 2;
    sr_attr *na = realloc(l->a, cap * sizeof *na);
    if (na == NULL) { l->oom = true; return; }
    l->a = na;
    l->cap = cap;
  }
  unsigned char *copy = NULL;
  if (len > 0) {
    copy = malloc(len);
    if (copy == NULL) { l->oom = true; return; }
    memcpy(copy, v, len);
  }
  l->a[l->n++] = (sr_attr){ t, copy, (CK_ULONG)len, sensitive };
}

static void put_bool(attr_list *l, CK_ATTRIBUTE_TYPE t, bool v) { CK_BBOOL b = v ? CK_TRUE : CK_FALSE; put(l, t, &b, 1, false); }
static void put_ulong(attr_list *l, CK_ATTRIBUTE_TYPE t, CK_ULONG v) { put(l, t, &v, sizeof v, false); }

/* CK_DATE "YYYYMMDD" from a Unix time; empty when unset. */
static void put_date(attr_list *l, CK_ATTRIBUTE_TYPE t, int64_t when) {
  if (when <= 0) { put(l, t, NULL, 0, false); return; }
  time_t tt = (time_t)when;
  struct tm tm;
  gmtime_r(&tt, &tm);
  char d[32];
  snprintf(d, sizeof d, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday);
  put(l, t, d, 8, false);
}

/* CKA_ID: the version's 16 bytes when it is 32 hex digits (so `pkcs11-tool --id <version>` works), else its text. */
static size_t key_id(const sr_key *k, unsigned char out[32]) {
  size_t n = strlen(k->version);
  if (n == 32) {
    bool hex = true;
    for (size_t i = 0; i < 32 && hex; i++) {
      char c = k->version[i];
      hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    if (hex) {
      for (size_t i = 0; i < 16; i++) {
        unsigned v;
        sscanf(k->version + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
      }
      return 16;
    }
  }
  memcpy(out, k->version, n);
  return n;
}

static CK_OBJECT_HANDLE handle_for(CK_SLOT_ID slot, const sr_key *k, CK_OBJECT_CLASS cls) {
  /* FNV-1a 64; kept below the session-object bit and never 0. */
  uint64_t h = 1469598103934665603ULL;
  char buf[200];
  int n = snprintf(buf, sizeof buf, "%lu/%s/%s/%lu", slot, k->name, k->version, cls);
  for (int i = 0; i < n && i < (int)sizeof buf; i++) { h ^= (unsigned char)buf[i]; h *= 1099511628211ULL; }
  h &= SESSION_HANDLE_BIT - 1;
  return h == 0 ? 1 : (CK_OBJECT_HANDLE)h;
}

static void common_attrs(attr_list *l, const sr_key *k, CK_OBJECT_CLASS cls) {
  unsigned char id[32];
  size_t idlen = key_id(k, id);
  char uid[200];
  snprintf(uid, sizeof uid, "%s/%s/%lu", k->name, k->version, cls);
  put_ulong(l, CKA_CLASS, cls);
  put_bool(l, CKA_TOKEN, true);
  put_bool(l, CKA_PRIVATE, false); /* login is optional: every object is visible without it */
  put_bool(l, CKA_MODIFIABLE, false);
  put_bool(l, CKA_COPYABLE, false);
  put_bool(l, CKA_DESTROYABLE, cls != CKO_CERTIFICATE);
  put(l, CKA_LABEL, k->name, strlen(k->name), false);
  put(l, CKA_UNIQUE_ID, uid, strlen(uid), false);
  put(l, CKA_ID, id, idlen, false);
  put_date(l, CKA_START_DATE, k->not_before);
  put_date(l, CKA_END_DATE, k->expires);
}

static void key_attrs(attr_list *l, const sr_key *k, CK_OBJECT_CLASS cls) {
  put_ulong(l, CKA_KEY_TYPE, k->family == SR_FAMILY_RSA ? CKK_RSA : k->family == SR_FAMILY_EC ? CKK_EC : CKK_AES);
  put(l, CKA_SUBJECT, NULL, 0, false);
  put_bool(l, CKA_DERIVE, false);
  put_bool(l, CKA_LOCAL, true);
  put_ulong(l, CKA_KEY_GEN_MECHANISM, k->family == SR_FAMILY_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN);
  CK_MECHANISM_TYPE mechs[64];
  size_t nm = sr_mech_allowed(k, cls, mechs, 64);
  put(l, CKA_ALLOWED_MECHANISMS, mechs, nm * sizeof mechs[0], false);
  put(l, CKA_PUBLIC_KEY_INFO, k->spki.data, k->spki.len, false);
  if (k->family == SR_FAMILY_RSA) {
    put(l, CKA_MODULUS, k->modulus.data, k->modulus.len, false);
    put_ulong(l, CKA_MODULUS_BITS, k->size_bits);
    put(l, CKA_PUBLIC_EXPONENT, k->exponent.data, k->exponent.len, false);
  } else if (k->family == SR_FAMILY_EC) {
    put(l, CKA_EC_PARAMS, k->ec_params.data, k->ec_params.len, false);
    /* Not a private-key attribute in the spec, but OpenSSL's loaders read it there when no public object is found. */
    put(l, CKA_EC_POINT, k->ec_point.data, k->ec_point.len, false);
  }
}

static sr_object *new_object(CK_OBJECT_HANDLE h, CK_OBJECT_CLASS cls, attr_list *l, sr_keyref *key) {
  sr_object *o = l->oom ? NULL : calloc(1, sizeof *o);
  if (o == NULL) {
    for (size_t i = 0; i < l->n; i++) free(l->a[i].value);
    free(l->a);
    return NULL;
  }
  atomic_init(&o->refs, 1);
  o->handle = h;
  o->cls = cls;
  o->token = true;
  o->attrs = l->a;
  o->nattrs = l->n;
  o->key = key;
  if (key != NULL) atomic_fetch_add(&key->refs, 1);
  return o;
}

static sr_object *private_object(CK_SLOT_ID slot, sr_keyref *kr) {
  const sr_key *k = &kr->k;
  attr_list l = { 0 };
  common_attrs(&l, k, CKO_PRIVATE_KEY);
  key_attrs(&l, k, CKO_PRIVATE_KEY);
  put_bool(&l, CKA_SENSITIVE, true);
  put_bool(&l, CKA_ALWAYS_SENSITIVE, true);
  put_bool(&l, CKA_EXTRACTABLE, k->exportable);
  put_bool(&l, CKA_NEVER_EXTRACTABLE, !k->exportable);
  put_bool(&l, CKA_SIGN, (k->ops & SR_OP_SIGN) != 0);
  put_bool(&l, CKA_SIGN_RECOVER, false);
  put_bool(&l, CKA_DECRYPT, (k->ops & SR_OP_DECRYPT) != 0);
  /* A key-exchange key (key_ops ["import"]) unwraps BYOK transfer blobs: C_UnwrapKey with CKM_RSA_AES_KEY_WRAP. */
  put_bool(&l, CKA_UNWRAP, (k->ops & (SR_OP_UNWRAP | SR_OP_IMPORT)) != 0);
  put_bool(&l, CKA_ALWAYS_AUTHENTICATE, false);
  put_bool(&l, CKA_WRAP_WITH_TRUSTED, k->wrap_with_trusted);
  if (k->family == SR_FAMILY_RSA) {
    static const CK_ATTRIBUTE_TYPE secret[] = { CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT };
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) put(&l, secret[i], NULL, 0, true);
  } else {
    put(&l, CKA_VALUE, NULL, 0, true);
  }
  return new_object(handle_for(slot, k, CKO_PRIVATE_KEY), CKO_PRIVATE_KEY, &l, kr);
}

static sr_object *public_object(CK_SLOT_ID slot, sr_keyref *kr) {
  const sr_key *k = &kr->k;
  attr_list l = { 0 };
  common_attrs(&l, k, CKO_PUBLIC_KEY);
  key_attrs(&l, k, CKO_PUBLIC_KEY);
  put_bool(&l, CKA_ENCRYPT, (k->ops & SR_OP_ENCRYPT) != 0);
  put_bool(&l, CKA_VERIFY, (k->ops & SR_OP_VERIFY) != 0);
  put_bool(&l, CKA_VERIFY_RECOVER, false);
  /* The service exports for a wrapping key with wrapKey or import (a key-exchange key) in its key_ops. */
  put_bool(&l, CKA_WRAP, (k->ops & (SR_OP_WRAP | SR_OP_IMPORT)) != 0);
  put_bool(&l, CKA_TRUSTED, k->trusted);
  return new_object(handle_for(slot, k, CKO_PUBLIC_KEY), CKO_PUBLIC_KEY, &l, kr);
}

static void put_der(attr_list *l, CK_ATTRIBUTE_TYPE t, int (*i2d)(const void *, unsigned char **), const void *v) {
  unsigned char *der = NULL;
  int n = v == NULL ? -1 : i2d(v, &der);
  if (n < 0) { l->oom = true; return; }
  put(l, t, der, (size_t)n, false);
  OPENSSL_free(der);
}

static sr_object *cert_object(CK_SLOT_ID slot, sr_keyref *kr) {
  const sr_key *k = &kr->k;
  const unsigned char *p = k->cert.data;
  X509 *x = d2i_X509(NULL, &p, (long)k->cert.len);
  if (x == NULL) return NULL;
  attr_list l = { 0 };
  common_attrs(&l, k, CKO_CERTIFICATE);
  put_ulong(&l, CKA_CERTIFICATE_TYPE, CKC_X_509);
  put_bool(&l, CKA_TRUSTED, false);
  put_ulong(&l, CKA_CERTIFICATE_CATEGORY, 0);
  put_ulong(&l, CKA_JAVA_MIDP_SECURITY_DOMAIN, 0);
  put(&l, CKA_VALUE, k->cert.data, k->cert.len, false);
  put(&l, CKA_URL, NULL, 0, false);
  put(&l, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, NULL, 0, false);
  put(&l, CKA_HASH_OF_ISSUER_PUBLIC_KEY, NULL, 0, false);
  put(&l, CKA_PUBLIC_KEY_INFO, k->spki.data, k->spki.len, false);
  put_der(&l, CKA_SUBJECT, (int (*)(const void *, unsigned char **))i2d_X509_NAME, X509_get_subject_name(x));
  put_der(&l, CKA_ISSUER, (int (*)(const void *, unsigned char **))i2d_X509_NAME, X509_get_issuer_name(x));
  put_der(&l, CKA_SERIAL_NUMBER, (int (*)(const void *, unsigned char **))i2d_ASN1_INTEGER, X509_get0_serialNumber(x));
  X509_free(x);
  return new_object(handle_for(slot, k, CKO_CERTIFICATE), CKO_CERTIFICATE, &l, kr);
}

static sr_object *secret_object(CK_SLOT_ID slot, sr_keyref *kr) {
  const sr_key *k = &kr->k;
  attr_list l = { 0 };
  common_attrs(&l, k, CKO_SECRET_KEY);
  put_ulong(&l, CKA_KEY_TYPE, CKK_AES);
  if (k->size_bits > 0) put_ulong(&l, CKA_VALUE_LEN, k->size_bits / 8);
  put(&l, CKA_VALUE, NULL, 0, true);
  put_bool(&l, CKA_SENSITIVE, true);
  put_bool(&l, CKA_ALWAYS_SENSITIVE, true);
  put_bool(&l, CKA_EXTRACTABLE, k->exportable);
  put_bool(&l, CKA_NEVER_EXTRACTABLE, !k->exportable);
  put_bool(&l, CKA_ENCRYPT, (k->ops & SR_OP_ENCRYPT) != 0);
  put_bool(&l, CKA_DECRYPT, (k->ops & SR_OP_DECRYPT) != 0);
  put_bool(&l, CKA_WRAP, (k->ops & SR_OP_WRAP) != 0);
  put_bool(&l, CKA_UNWRAP, (k->ops & SR_OP_UNWRAP) != 0);
  put_bool(&l, CKA_SIGN, false);
  put_bool(&l, CKA_VERIFY, false);
  put_bool(&l, CKA_DERIVE, false);
  put_bool(&l, CKA_LOCAL, true);
  put_bool(&l, CKA_TRUSTED, k->trusted);
  put_bool(&l, CKA_WRAP_WITH_TRUSTED, k->wrap_with_trusted);
  put_ulong(&l, CKA_KEY_GEN_MECHANISM, CKM_AES_KEY_GEN);
  CK_MECHANISM_TYPE mechs[64];
  size_t nm = sr_mech_allowed(k, CKO_SECRET_KEY, mechs, 64);
  put(&l, CKA_ALLOWED_MECHANISMS, mechs, nm * sizeof mechs[0], false);
  return new_object(handle_for(slot, k, CKO_SECRET_KEY), CKO_SECRET_KEY, &l, kr);
}

/* Adds a key's objects to `objs` (growing it). */
static bool add_key_objects(CK_SLOT_ID slot, sr_keyref *kr, sr_object ***objs, size_t *n, size_t *cap) {
  sr_object *made[3] = { 0 };
  size_t m = 0;
  if (kr->k.family == SR_FAMILY_OCT) {
    made[m++] = secret_object(slot, kr);
  } else {
    made[m++] = private_object(slot, kr);
    made[m++] = public_object(slot, kr);
    if (kr->k.cert.len > 0) made[m++] = cert_object(slot, kr);
  }
  if (*n + m > *cap) {
    size_t nc = (*cap == 0 ? 32 : *cap * 2) + m;
    sr_object **no = realloc(*objs, nc * sizeof *no);
    if (no == NULL) { for (size_t i = 0; i < m; i++) sr_object_unref(made[i]); return false; }
    *objs = no;
    *cap = nc;
  }
  for (size_t i = 0; i < m; i++) {
    if (made[i] == NULL) { for (size_t j = 0; j < m; j++) sr_object_unref(made[j]); return false; }
  }
  for (size_t i = 0; i < m; i++) (*objs)[(*n)++] = made[i];
  return true;
}

/* The AES size found for a version earlier, or 0. */
static unsigned known_bits(sr_objset *old, const sr_key *k) {
  for (size_t i = 0; old != NULL && i < old->n; i++) {
    const sr_key *o = &old->objs[i]->key->k;
    if (o->family == SR_FAMILY_OCT && strcmp(o->name, k->name) == 0 && strcmp(o->version, k->version) == 0) return o->size_bits;
  }
  return 0;
}

/* The certificate made for a version earlier, if the current set has one (certificates cost a remote sign). */
static bool reuse_cert(sr_objset *old, sr_key *k) {
  for (size_t i = 0; old != NULL && i < old->n; i++) {
    sr_object *o = old->objs[i];
    if (o->cls == CKO_CERTIFICATE && strcmp(o->key->k.name, k->name) == 0 && strcmp(o->key->k.version, k->version) == 0) {
      return sr_buf_add(&k->cert, o->key->k.cert.data, o->key->k.cert.len);
    }
  }
  return false;
}

CK_RV sr_slot_refresh(sr_slot *slot, bool generate_certs) {
  sr_key *keys = NULL;
  size_t nkeys = 0;
  size_t olen = strlen(slot->cfg->url);
  CK_RV rv = sr_rest_list_keys(slot->svc, slot->cfg->url, slot->cfg->key_filter, slot->cfg->include_older_versions, &keys, &nkeys);
  (void)olen;
  if (rv != CKR_OK) { sr_log("refresh: slot %lu: listing keys failed (0x%lx)", slot->id, rv); return rv; }
  sr_objset *old = sr_slot_objects(slot);
  sr_objset *set = calloc(1, sizeof *set);
  size_t cap = 0;
  bool ok = set != NULL;
  if (set != NULL) atomic_init(&set->refs, 1);
  for (size_t i = 0; i < nkeys; i++) {
    sr_keyref *kr = ok ? calloc(1, sizeof *kr) : NULL;
    if (kr == NULL) { sr_key_free(&keys[i]); ok = false; continue; }
    atomic_init(&kr->refs, 1);
    kr->k = keys[i];
    if (kr->k.family == SR_FAMILY_OCT) {
      kr->k.size_bits = known_bits(old, &kr->k);
      if (kr->k.size_bits == 0) kr->k.size_bits = sr_rest_aes_bits(slot->svc, &kr->k);
    }
    if (generate_certs && kr->k.family != SR_FAMILY_OCT && (kr->k.ops & SR_OP_SIGN) && !reuse_cert(old, &kr->k)) {
      if (sr_cert_make(slot->svc, &kr->k) != CKR_OK) sr_log("refresh: no certificate for %s", kr->k.name);
    }
    ok = add_key_objects(slot->id, kr, &set->objs, &set->n, &cap);
    sr_keyref_unref(kr); /* the objects hold it */
  }
  free(keys);
  sr_objset_unref(old);
  if (!ok) { sr_objset_unref(set); return CKR_HOST_MEMORY; }
  sr_lock(slot->mu);
  old = slot->objs;
  slot->objs = set;
  slot->refreshed_at = sr_now_ms();
  slot->refresh_ok = true;
  sr_unlock(slot->mu);
  sr_objset_unref(old);
  return CKR_OK;
}

CK_RV sr_slot_add_key(sr_slot *slot, sr_key *k, CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub, bool generate_certs) {
  sr_keyref *kr = calloc(1, sizeof *kr);
  if (kr == NULL) { sr_key_free(k); return CKR_HOST_MEMORY; }
  atomic_init(&kr->refs, 1);
  kr->k = *k;
  if (generate_certs && kr->k.family != SR_FAMILY_OCT && (kr->k.ops & SR_OP_SIGN)) sr_cert_make(slot->svc, &kr->k);
  sr_object **made = NULL;
  size_t n = 0, cap = 0;
  bool ok = add_key_objects(slot->id, kr, &made, &n, &cap);
  sr_keyref_unref(kr);
  if (!ok) { free(made); return CKR_HOST_MEMORY; }
  *priv = made[0]->handle;
  *pub = n > 1 ? made[1]->handle : made[0]->handle;
  sr_lock(slot->mu);
  sr_objset *old = slot->objs;
  sr_objset *set = calloc(1, sizeof *set);
  sr_object **all = set != NULL ? malloc(((old != NULL ? old->n : 0) + n) * sizeof *all) : NULL;
  if (all == NULL) {
    sr_unlock(slot->mu);
    free(set);
    for (size_t i = 0; i < n; i++) sr_object_unref(made[i]);
    free(made);
    return CKR_HOST_MEMORY;
  }
  atomic_init(&set->refs, 1);
  set->objs = all;
  for (size_t i = 0; old != NULL && i < old->n; i++) { atomic_fetch_add(&old->objs[i]->refs, 1); all[set->n++] = old->objs[i]; }
  for (size_t i = 0; i < n; i++) all[set->n++] = made[i];
  slot->objs = set;
  sr_unlock(slot->mu);
  free(made);
  sr_objset_unref(old);
  return CKR_OK;
}

void sr_slot_remove_key(sr_slot *slot, const char *name) {
  sr_lock(slot->mu);
  sr_objset *old = slot->objs;
  sr_objset *set = calloc(1, sizeof *set);
  sr_object **all = set != NULL && old != NULL ? malloc((old->n + 1) * sizeof *all) : NULL;
  if (all == NULL) { sr_unlock(slot->mu); free(set); return; } /* the next refresh drops it */
  atomic_init(&set->refs, 1);
  set->objs = all;
  for (size_t i = 0; i < old->n; i++) {
    if (old->objs[i]->key != NULL && strcmp(old->objs[i]->key->k.name, name) == 0) continue;
    atomic_fetch_add(&old->objs[i]->refs, 1);
    all[set->n++] = old->objs[i];
  }
  slot->objs = set;
  sr_unlock(slot->mu);
  sr_objset_unref(old);
}
