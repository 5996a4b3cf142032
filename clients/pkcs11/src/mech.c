/* The mechanism table, expanded from ../mechanisms.def (checked against src/crypto/algorithms.ts by a test). */
#include "module.h"
#include <string.h>

#define SIGN SR_OP_SIGN
#define VERIFY SR_OP_VERIFY
#define ENCRYPT SR_OP_ENCRYPT
#define DECRYPT SR_OP_DECRYPT
#define OCT SR_FAMILY_OCT
#define RSA SR_FAMILY_RSA
#define EC SR_FAMILY_EC
#define NONE SR_HASH_NONE
#define SHA1 SR_HASH_SHA1
#define SHA256 SR_HASH_SHA256
#define SHA384 SR_HASH_SHA384
#define SHA512 SR_HASH_SHA512
#define ANY SR_CRV_ANY
#define P256 SR_CRV_P256
#define P256K SR_CRV_P256K
#define P384 SR_CRV_P384
#define P521 SR_CRV_P521

static const sr_mech_row REMOTE[] = {
#define SR_REMOTE(m, op, jwa, fam, hash, crv) { m, op, jwa, fam, hash, crv },
#define SR_HASHED(m, base, hash)
#define SR_LOCAL(m, op)
#define SR_UNMAPPED(jwa, why)
#define SR_AES(m, op, jwa, bits)
#define SR_WRAP(m, hash, enc)
#include "../mechanisms.def"
#undef SR_REMOTE
#undef SR_HASHED
#undef SR_LOCAL
#undef SR_UNMAPPED
#undef SR_AES
#undef SR_WRAP
};

static const struct { CK_MECHANISM_TYPE mech, base; sr_hash hash; } HASHED[] = {
#define SR_REMOTE(m, op, jwa, fam, hash, crv)
#define SR_HASHED(m, base, hash) { m, base, hash },
#define SR_LOCAL(m, op)
#define SR_UNMAPPED(jwa, why)
#define SR_AES(m, op, jwa, bits)
#define SR_WRAP(m, hash, enc)
#include "../mechanisms.def"
#undef SR_REMOTE
#undef SR_HASHED
#undef SR_LOCAL
#undef SR_UNMAPPED
#undef SR_AES
#undef SR_WRAP
};

static const struct { CK_MECHANISM_TYPE mech; unsigned op; } LOCAL[] = {
#define SR_REMOTE(m, op, jwa, fam, hash, crv)
#define SR_HASHED(m, base, hash)
#define SR_LOCAL(m, op) { m, op },
#define SR_UNMAPPED(jwa, why)
#define SR_AES(m, op, jwa, bits)
#define SR_WRAP(m, hash, enc)
#include "../mechanisms.def"
#undef SR_REMOTE
#undef SR_HASHED
#undef SR_LOCAL
#undef SR_UNMAPPED
#undef SR_AES
#undef SR_WRAP
};

static const sr_aes_row AES[] = {
#define SR_REMOTE(m, op, jwa, fam, hash, crv)
#define SR_HASHED(m, base, hash)
#define SR_LOCAL(m, op)
#define SR_UNMAPPED(jwa, why)
#define SR_AES(m, op, jwa, bits) { m, op, jwa, bits },
#define SR_WRAP(m, hash, enc)
#include "../mechanisms.def"
#undef SR_REMOTE
#undef SR_HASHED
#undef SR_LOCAL
#undef SR_UNMAPPED
#undef SR_AES
#undef SR_WRAP
};

static const struct { CK_MECHANISM_TYPE mech; sr_hash hash; const char *enc; } WRAP[] = {
#define SR_REMOTE(m, op, jwa, fam, hash, crv)
#define SR_HASHED(m, base, hash)
#define SR_LOCAL(m, op)
#define SR_UNMAPPED(jwa, why)
#define SR_AES(m, op, jwa, bits)
#define SR_WRAP(m, hash, enc) { m, hash, enc },
#include "../mechanisms.def"
#undef SR_REMOTE
#undef SR_HASHED
#undef SR_LOCAL
#undef SR_UNMAPPED
#undef SR_AES
#undef SR_WRAP
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const sr_aes_row *sr_mech_aes(CK_MECHANISM_TYPE m, unsigned op, unsigned bits) {
  for (size_t i = 0; i < COUNT(AES); i++) {
    if (AES[i].mech == m && AES[i].op == op && (AES[i].bits == 0 || AES[i].bits == bits)) return &AES[i];
  }
  return NULL;
}

const char *sr_mech_wrap_enc(CK_MECHANISM_TYPE m, sr_hash hash) {
  for (size_t i = 0; i < COUNT(WRAP); i++) if (WRAP[i].mech == m && WRAP[i].hash == hash) return WRAP[i].enc;
  return NULL;
}

static bool is_wrap(CK_MECHANISM_TYPE m) {
  for (size_t i = 0; i < COUNT(WRAP); i++) if (WRAP[i].mech == m) return true;
  return false;
}

static bool is_aes(CK_MECHANISM_TYPE m) {
  for (size_t i = 0; i < COUNT(AES); i++) if (AES[i].mech == m) return true;
  return false;
}

/* Mechanisms with no key: digests run in the module; key generation creates a key in the service. */
static const CK_MECHANISM_TYPE EXTRA[] = { CKM_SHA_1, CKM_SHA256, CKM_SHA384, CKM_SHA512, CKM_RSA_PKCS_KEY_PAIR_GEN, CKM_EC_KEY_PAIR_GEN, CKM_AES_KEY_GEN };

const sr_mech_row *sr_mech_remote(CK_MECHANISM_TYPE m, unsigned op, sr_hash hash, sr_curve curve) {
  for (size_t i = 0; i < COUNT(REMOTE); i++) {
    const sr_mech_row *r = &REMOTE[i];
    if (r->mech != m || r->op != op) continue;
    if (r->family == SR_FAMILY_EC ? r->curve == curve : (r->hash == hash || hash == SR_HASH_NONE)) return r;
  }
  return NULL;
}

bool sr_mech_hashed(CK_MECHANISM_TYPE m, CK_MECHANISM_TYPE *base, sr_hash *hash) {
  for (size_t i = 0; i < COUNT(HASHED); i++) {
    if (HASHED[i].mech == m) { *base = HASHED[i].base; *hash = HASHED[i].hash; return true; }
  }
  return false;
}

bool sr_mech_local(CK_MECHANISM_TYPE m, unsigned op) {
  for (size_t i = 0; i < COUNT(LOCAL); i++) if (LOCAL[i].mech == m && LOCAL[i].op == op) return true;
  CK_MECHANISM_TYPE base;
  sr_hash h;
  /* A hash-and-sign mechanism verifies locally when its base does; RSxxx verify is PKCS#1 with a hash. */
  if (op == SR_OP_VERIFY && sr_mech_hashed(m, &base, &h)) return sr_mech_local(base, op);
  if (op == SR_OP_VERIFY && (m == CKM_SHA256_RSA_PKCS || m == CKM_SHA384_RSA_PKCS || m == CKM_SHA512_RSA_PKCS)) return true;
  return false;
}

static bool listed(const CK_MECHANISM_TYPE *out, size_t n, CK_MECHANISM_TYPE m) {
  for (size_t i = 0; i < n; i++) if (out[i] == m) return true;
  return false;
}

size_t sr_mech_list(CK_MECHANISM_TYPE *out, size_t max) {
  size_t n = 0;
  CK_MECHANISM_TYPE all[64];
  for (size_t i = 0; i < COUNT(REMOTE); i++) if (!listed(all, n, REMOTE[i].mech)) all[n++] = REMOTE[i].mech;
  for (size_t i = 0; i < COUNT(HASHED); i++) if (!listed(all, n, HASHED[i].mech)) all[n++] = HASHED[i].mech;
  for (size_t i = 0; i < COUNT(LOCAL); i++) if (!listed(all, n, LOCAL[i].mech)) all[n++] = LOCAL[i].mech;
  for (size_t i = 0; i < COUNT(AES); i++) if (!listed(all, n, AES[i].mech)) all[n++] = AES[i].mech;
  for (size_t i = 0; i < COUNT(WRAP); i++) if (!listed(all, n, WRAP[i].mech)) all[n++] = WRAP[i].mech;
  for (size_t i = 0; i < COUNT(EXTRA); i++) if (!listed(all, n, EXTRA[i])) all[n++] = EXTRA[i];
  if (out != NULL) memcpy(out, all, (n < max ? n : max) * sizeof *out);
  return n;
}

static sr_family family_of(CK_MECHANISM_TYPE m) {
  if (is_aes(m) || m == CKM_AES_KEY_GEN) return SR_FAMILY_OCT;
  CK_MECHANISM_TYPE base;
  sr_hash h;
  if (sr_mech_hashed(m, &base, &h)) m = base;
  for (size_t i = 0; i < COUNT(REMOTE); i++) if (REMOTE[i].mech == m) return REMOTE[i].family;
  return m == CKM_EC_KEY_PAIR_GEN ? SR_FAMILY_EC : SR_FAMILY_RSA;
}

CK_RV sr_mech_info(CK_MECHANISM_TYPE m, CK_MECHANISM_INFO *info) {
  memset(info, 0, sizeof *info);
  if (m == CKM_SHA_1 || m == CKM_SHA256 || m == CKM_SHA384 || m == CKM_SHA512) { info->flags = CKF_DIGEST; return CKR_OK; }
  if (m == CKM_RSA_PKCS_KEY_PAIR_GEN) { info->ulMinKeySize = 2048; info->ulMaxKeySize = 4096; info->flags = CKF_HW | CKF_GENERATE_KEY_PAIR; return CKR_OK; }
  if (m == CKM_EC_KEY_PAIR_GEN) {
    info->ulMinKeySize = 256; info->ulMaxKeySize = 521;
    info->flags = CKF_HW | CKF_GENERATE_KEY_PAIR | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
    return CKR_OK;
  }
  if (m == CKM_AES_KEY_GEN) { info->ulMinKeySize = 16; info->ulMaxKeySize = 32; info->flags = CKF_HW | CKF_GENERATE; return CKR_OK; }
  if (is_wrap(m)) {
    /* C_WrapKey: export for a token RSA public key (2048..4096) or a session one (2048..8192); C_UnwrapKey: BYOK
     * import under a key-exchange key. */
    info->ulMinKeySize = 2048; info->ulMaxKeySize = 8192; info->flags = CKF_HW | CKF_WRAP | CKF_UNWRAP;
    return CKR_OK;
  }
  if (is_aes(m)) {
    /* AES sizes are in bytes (PKCS#11 2.1.9). */
    info->ulMinKeySize = 16; info->ulMaxKeySize = 32; info->flags = CKF_HW;
    for (size_t i = 0; i < COUNT(AES); i++) {
      if (AES[i].mech == m) info->flags |= AES[i].op == SR_OP_ENCRYPT ? CKF_ENCRYPT : CKF_DECRYPT;
    }
    if (m == CKM_AES_KEY_WRAP || m == CKM_AES_KEY_WRAP_KWP) info->flags |= CKF_UNWRAP; /* C_UnwrapKey: unwrap + import */
    return CKR_OK;
  }
  CK_MECHANISM_TYPE all[64];
  size_t n = sr_mech_list(all, 64);
  if (!listed(all, n, m)) return CKR_MECHANISM_INVALID;
  CK_MECHANISM_TYPE base = m;
  sr_hash h;
  sr_mech_hashed(m, &base, &h);
  for (size_t i = 0; i < COUNT(REMOTE); i++) {
    if (REMOTE[i].mech != base) continue;
    if (REMOTE[i].op == SR_OP_SIGN) info->flags |= CKF_SIGN;
    if (REMOTE[i].op == SR_OP_DECRYPT) info->flags |= CKF_DECRYPT;
  }
  if (m == CKM_RSA_PKCS_OAEP) info->flags |= CKF_UNWRAP; /* C_UnwrapKey of an AES key: unwrap + import */
  if (sr_mech_local(m, SR_OP_VERIFY)) info->flags |= CKF_VERIFY;
  if (sr_mech_local(m, SR_OP_ENCRYPT)) info->flags |= CKF_ENCRYPT;
  info->flags |= CKF_HW;
  if (family_of(m) == SR_FAMILY_EC) {
    info->ulMinKeySize = 256; info->ulMaxKeySize = 521;
    info->flags |= CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
  } else {
    info->ulMinKeySize = 2048; info->ulMaxKeySize = 4096;
  }
  return CKR_OK;
}

size_t sr_mech_allowed(const sr_key *k, CK_OBJECT_CLASS cls, CK_MECHANISM_TYPE *out, size_t max) {
  CK_MECHANISM_TYPE all[64];
  size_t n = sr_mech_list(all, 64), m = 0;
  for (size_t i = 0; i < n && m < max; i++) {
    CK_MECHANISM_INFO info;
    if (all[i] == CKM_SHA_1 || all[i] == CKM_SHA256 || all[i] == CKM_SHA384 || all[i] == CKM_SHA512) continue;
    if (all[i] == CKM_RSA_PKCS_KEY_PAIR_GEN || all[i] == CKM_EC_KEY_PAIR_GEN || all[i] == CKM_AES_KEY_GEN) continue;
    if (family_of(all[i]) != k->family || sr_mech_info(all[i], &info) != CKR_OK) continue;
    if (k->family == SR_FAMILY_OCT) {
      bool usable = ((info.flags & CKF_ENCRYPT) && (k->ops & SR_OP_ENCRYPT)) || ((info.flags & CKF_DECRYPT) && (k->ops & SR_OP_DECRYPT));
      bool sized = sr_mech_aes(all[i], info.flags & CKF_ENCRYPT ? SR_OP_ENCRYPT : SR_OP_DECRYPT, k->size_bits) != NULL;
      if (usable && sized && cls == CKO_SECRET_KEY) out[m++] = all[i];
      continue;
    }
    if (is_wrap(all[i])) {
      /* C_WrapKey with the public key of a key that may wrap (wrapKey, or import: a key-exchange key); C_UnwrapKey
       * (BYOK import) with the private key of a key-exchange key. */
      bool wrap = cls == CKO_PUBLIC_KEY && (k->ops & (SR_OP_WRAP | SR_OP_IMPORT));
      bool unwrap = cls == CKO_PRIVATE_KEY && (k->ops & SR_OP_IMPORT);
      if (k->family == SR_FAMILY_RSA && (wrap || unwrap)) out[m++] = all[i];
      continue;
    }
    CK_FLAGS want = cls == CKO_PRIVATE_KEY ? (CKF_SIGN | CKF_DECRYPT) : (CKF_VERIFY | CKF_ENCRYPT);
    if ((info.flags & want) == 0) continue;
    bool permitted = ((info.flags & CKF_SIGN) && (k->ops & SR_OP_SIGN) && cls == CKO_PRIVATE_KEY) ||
                     ((info.flags & CKF_DECRYPT) && (k->ops & SR_OP_DECRYPT) && cls == CKO_PRIVATE_KEY) ||
                     ((info.flags & CKF_VERIFY) && (k->ops & SR_OP_VERIFY) && cls == CKO_PUBLIC_KEY) ||
                     ((info.flags & CKF_ENCRYPT) && (k->ops & SR_OP_ENCRYPT) && cls == CKO_PUBLIC_KEY);
    if (permitted) out[m++] = all[i];
  }
  return m;
}

sr_hash sr_hash_from_ckm(CK_MECHANISM_TYPE m) {
  switch (m) {
    case CKM_SHA_1: return SR_HASH_SHA1;
    case CKM_SHA256: return SR_HASH_SHA256;
    case CKM_SHA384: return SR_HASH_SHA384;
    case CKM_SHA512: return SR_HASH_SHA512;
    default: return SR_HASH_NONE;
  }
}

sr_hash sr_hash_from_mgf(CK_RSA_PKCS_MGF_TYPE g) {
  switch (g) {
    case CKG_MGF1_SHA1: return SR_HASH_SHA1;
    case CKG_MGF1_SHA256: return SR_HASH_SHA256;
    case CKG_MGF1_SHA384: return SR_HASH_SHA384;
    case CKG_MGF1_SHA512: return SR_HASH_SHA512;
    default: return SR_HASH_NONE;
  }
}
