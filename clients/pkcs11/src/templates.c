/*
 * Application templates: validation (types and lengths of the attributes the module interprets) and session
 * objects made by C_CreateObject (public keys, which Java hands back for verification; data and certificates
 * kept as given). Fuzzed through clients/pkcs11/fuzz/fuzz-template.c.
 */
#include "module.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

static bool is_bool_attr(CK_ATTRIBUTE_TYPE t) {
  switch (t) {
    case CKA_TOKEN: case CKA_PRIVATE: case CKA_MODIFIABLE: case CKA_COPYABLE: case CKA_DESTROYABLE: case CKA_SENSITIVE:
    case CKA_ENCRYPT: case CKA_DECRYPT: case CKA_WRAP: case CKA_UNWRAP: case CKA_SIGN: case CKA_SIGN_RECOVER:
    case CKA_VERIFY: case CKA_VERIFY_RECOVER: case CKA_DERIVE: case CKA_EXTRACTABLE: case CKA_LOCAL:
    case CKA_NEVER_EXTRACTABLE: case CKA_ALWAYS_SENSITIVE: case CKA_TRUSTED: case CKA_WRAP_WITH_TRUSTED:
    case CKA_ALWAYS_AUTHENTICATE:
      return true;
    default:
      return false;
  }
}

static bool is_ulong_attr(CK_ATTRIBUTE_TYPE t) {
  return t == CKA_CLASS || t == CKA_KEY_TYPE || t == CKA_MODULUS_BITS || t == CKA_CERTIFICATE_TYPE ||
         t == CKA_VALUE_LEN || t == CKA_KEY_GEN_MECHANISM || t == CKA_CERTIFICATE_CATEGORY;
}

CK_RV sr_template_validate(const CK_ATTRIBUTE *tmpl, CK_ULONG n) {
  if (tmpl == NULL && n > 0) return CKR_ARGUMENTS_BAD;
  if (n > 256) return CKR_TEMPLATE_INCONSISTENT;
  for (CK_ULONG i = 0; i < n; i++) {
    const CK_ATTRIBUTE *a = &tmpl[i];
    if (a->pValue == NULL && a->ulValueLen > 0) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (a->ulValueLen > (1u << 20)) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (is_bool_attr(a->type) && (a->ulValueLen != sizeof(CK_BBOOL) || *(const CK_BBOOL *)a->pValue > 1)) return CKR_ATTRIBUTE_VALUE_INVALID;
    if (is_ulong_attr(a->type) && a->ulValueLen != sizeof(CK_ULONG)) return CKR_ATTRIBUTE_VALUE_INVALID;
    for (CK_ULONG j = 0; j < i; j++) if (tmpl[j].type == a->type) return CKR_TEMPLATE_INCONSISTENT;
  }
  return CKR_OK;
}

const CK_ATTRIBUTE *sr_template_find(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t) {
  for (CK_ULONG i = 0; i < n; i++) if (tmpl[i].type == t) return &tmpl[i];
  return NULL;
}

bool sr_template_ulong(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t, CK_ULONG *out) {
  const CK_ATTRIBUTE *a = sr_template_find(tmpl, n, t);
  if (a == NULL || a->ulValueLen != sizeof(CK_ULONG) || a->pValue == NULL) return false;
  memcpy(out, a->pValue, sizeof *out);
  return true;
}

/* EC_POINT is a DER OCTET STRING by the spec; some applications send the raw point. Accept both, by length. */
static bool ec_point_raw(const unsigned char *p, size_t n, size_t want, const unsigned char **raw) {
  if (n == want + 2 && p[0] == 0x04 && p[1] == want) { *raw = p + 2; return true; }
  if (n == want + 3 && p[0] == 0x04 && p[1] == 0x81 && p[2] == want) { *raw = p + 3; return true; }
  if (n == want && p[0] == 0x04) { *raw = p; return true; }
  return false;
}

static CK_RV public_from_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_KEY_TYPE kt, sr_key *k) {
  memset(k, 0, sizeof *k);
  k->name = strdup("session-object");
  if (k->name == NULL) return CKR_HOST_MEMORY;
  k->ops = SR_OP_VERIFY | SR_OP_ENCRYPT;
  CK_RV rv = CKR_TEMPLATE_INCOMPLETE;
  if (kt == CKK_RSA) {
    const CK_ATTRIBUTE *mod = sr_template_find(tmpl, n, CKA_MODULUS), *exp = sr_template_find(tmpl, n, CKA_PUBLIC_EXPONENT);
    if (mod == NULL || exp == NULL || mod->ulValueLen == 0 || exp->ulValueLen == 0) goto out;
    rv = CKR_ATTRIBUTE_VALUE_INVALID;
    if (mod->ulValueLen > 2048 || exp->ulValueLen > 16) goto out;
    k->family = SR_FAMILY_RSA;
    if (!sr_buf_add(&k->modulus, mod->pValue, mod->ulValueLen) || !sr_buf_add(&k->exponent, exp->pValue, exp->ulValueLen)) goto out;
    while (k->modulus.len > 1 && k->modulus.data[0] == 0) { memmove(k->modulus.data, k->modulus.data + 1, --k->modulus.len); }
    k->pub = sr_rsa_public(k->modulus.data, k->modulus.len, k->exponent.data, k->exponent.len, &k->spki);
    if (k->pub == NULL || EVP_PKEY_get_bits(k->pub) < 512) goto out;
    k->size_bits = (unsigned)EVP_PKEY_get_bits(k->pub);
  } else if (kt == CKK_EC) {
    const CK_ATTRIBUTE *par = sr_template_find(tmpl, n, CKA_EC_PARAMS), *pt = sr_template_find(tmpl, n, CKA_EC_POINT);
    if (par == NULL || pt == NULL || par->ulValueLen == 0 || pt->ulValueLen == 0) goto out;
    rv = CKR_ATTRIBUTE_VALUE_INVALID;
    const unsigned char *p = par->pValue, *raw;
    ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)par->ulValueLen);
    int nid = oid != NULL ? OBJ_obj2nid(oid) : NID_undef;
    ASN1_OBJECT_free(oid);
    if (nid != NID_X9_62_prime256v1 && nid != NID_secp384r1 && nid != NID_secp521r1 && nid != NID_secp256k1) { rv = CKR_CURVE_NOT_SUPPORTED; goto out; }
    k->curve = nid == NID_X9_62_prime256v1 ? SR_CRV_P256 : nid == NID_secp384r1 ? SR_CRV_P384 : nid == NID_secp521r1 ? SR_CRV_P521 : SR_CRV_P256K;
    k->family = SR_FAMILY_EC;
    size_t rlen = 1 + 2 * (size_t)sr_curve_bytes(k->curve);
    if (!ec_point_raw(pt->pValue, pt->ulValueLen, rlen, &raw)) goto out;
    if (!sr_buf_add(&k->ec_params, par->pValue, par->ulValueLen) || !sr_buf_add(&k->ec_point, pt->pValue, pt->ulValueLen)) goto out;
    k->pub = sr_ec_public(par->pValue, par->ulValueLen, raw, rlen, &k->spki);
    if (k->pub == NULL) goto out;
  } else {
    rv = CKR_ATTRIBUTE_VALUE_INVALID;
    goto out;
  }
  rv = CKR_OK;
out:
  if (rv != CKR_OK) sr_key_free(k);
  return rv;
}

CK_RV sr_object_from_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE handle, sr_object **out) {
  CK_RV rv = sr_template_validate(tmpl, n);
  if (rv != CKR_OK) return rv;
  CK_ULONG cls, kt = 0;
  if (!sr_template_ulong(tmpl, n, CKA_CLASS, &cls)) return CKR_TEMPLATE_INCOMPLETE;
  const CK_ATTRIBUTE *tok = sr_template_find(tmpl, n, CKA_TOKEN);
  if (tok != NULL && *(const CK_BBOOL *)tok->pValue == CK_TRUE) return CKR_TEMPLATE_INCONSISTENT; /* keys are made by the service */
  if (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY) return CKR_TEMPLATE_INCONSISTENT;       /* no key material enters the module */
  if (cls != CKO_PUBLIC_KEY && cls != CKO_DATA && cls != CKO_CERTIFICATE) return CKR_ATTRIBUTE_VALUE_INVALID;
  sr_keyref *kr = NULL;
  if (cls == CKO_PUBLIC_KEY) {
    if (!sr_template_ulong(tmpl, n, CKA_KEY_TYPE, &kt)) return CKR_TEMPLATE_INCOMPLETE;
    kr = calloc(1, sizeof *kr);
    if (kr == NULL) return CKR_HOST_MEMORY;
    atomic_init(&kr->refs, 1);
    rv = public_from_template(tmpl, n, kt, &kr->k);
    if (rv != CKR_OK) { free(kr); return rv; }
  }
  sr_object *o = calloc(1, sizeof *o);
  sr_attr *attrs = calloc(n + 2, sizeof *attrs);
  if (o == NULL || attrs == NULL) { free(o); free(attrs); sr_keyref_unref(kr); return CKR_HOST_MEMORY; }
  size_t m = 0;
  bool oom = false;
  for (CK_ULONG i = 0; i < n; i++) {
    attrs[m].type = tmpl[i].type;
    attrs[m].len = tmpl[i].ulValueLen;
    if (tmpl[i].ulValueLen > 0) {
      attrs[m].value = malloc(tmpl[i].ulValueLen);
      if (attrs[m].value == NULL) { oom = true; break; }
      memcpy(attrs[m].value, tmpl[i].pValue, tmpl[i].ulValueLen);
    }
    m++;
  }
  /* Defaults an application will read back. */
  if (!oom && tok == NULL) {
    attrs[m].type = CKA_TOKEN;
    attrs[m].len = 1;
    attrs[m].value = calloc(1, 1);
    oom = attrs[m].value == NULL;
    m++;
  }
  atomic_init(&o->refs, 1);
  o->handle = handle;
  o->cls = cls;
  o->token = false;
  o->attrs = attrs;
  o->nattrs = m;
  o->key = kr;
  if (oom) { sr_object_unref(o); return CKR_HOST_MEMORY; }
  *out = o;
  return CKR_OK;
}
