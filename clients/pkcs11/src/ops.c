/*
 * Cryptographic operations: which remote algorithm a mechanism becomes (with its parameter checks), the local
 * hash of the hash-and-sign forms, and the public-key halves (verify, encrypt) run here on the cached key.
 */
#include "ops.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

static bool raw_mechanism(CK_MECHANISM_TYPE m) {
  return m == CKM_RSA_PKCS || m == CKM_RSA_PKCS_PSS || m == CKM_ECDSA;
}

void sr_op_reset(sr_op *op) {
  sr_buf_free(&op->iv);
  sr_buf_free(&op->aad);
  sr_object_unref(op->obj);
  EVP_MD_CTX_free(op->md);
  sr_buf_free(&op->data);
  sr_buf_free(&op->result);
  memset(op, 0, sizeof *op);
}

static CK_RV start_hash(sr_op *op) {
  if (op->lhash == SR_HASH_NONE) return CKR_OK;
  EVP_MD *md = EVP_MD_fetch(sr_crypto_libctx(), sr_hash_name(op->lhash), NULL);
  op->md = EVP_MD_CTX_new();
  bool ok = md != NULL && op->md != NULL && EVP_DigestInit_ex(op->md, md, NULL) == 1;
  EVP_MD_free(md);
  return ok ? CKR_OK : CKR_DEVICE_MEMORY;
}

CK_RV sr_op_plan_signature(sr_op *op, const CK_MECHANISM *mech, const sr_key *k) {
  CK_MECHANISM_TYPE m = mech->mechanism, base = m;
  sr_hash lhash = SR_HASH_NONE;
  const sr_mech_row *row = NULL;
  if (!sr_mech_hashed(m, &base, &lhash) && !raw_mechanism(m)) {
    row = sr_mech_remote(m, SR_OP_SIGN, SR_HASH_NONE, SR_CRV_ANY);
    if (row == NULL) return CKR_MECHANISM_INVALID;
    lhash = row->hash; /* CKM_SHAxxx_RSA_PKCS: hash here, RSxxx there */
  }
  op->mech = m;
  op->base = base;
  op->lhash = lhash;
  if (base == CKM_RSA_PKCS || (row != NULL && row->family == SR_FAMILY_RSA)) {
    if (k->family != SR_FAMILY_RSA) return CKR_KEY_TYPE_INCONSISTENT;
    if (mech->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
    if (row == NULL) row = sr_mech_remote(CKM_RSA_PKCS, SR_OP_SIGN, SR_HASH_NONE, SR_CRV_ANY);
    op->sig_len = k->modulus.len;
  } else if (base == CKM_RSA_PKCS_PSS) {
    if (k->family != SR_FAMILY_RSA) return CKR_KEY_TYPE_INCONSISTENT;
    if (mech->pParameter == NULL || mech->ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
    CK_RSA_PKCS_PSS_PARAMS p;
    memcpy(&p, mech->pParameter, sizeof p);
    sr_hash h = sr_hash_from_ckm(p.hashAlg);
    /* The service's PSS uses MGF1 with the message hash and a salt as long as the hash: nothing else. */
    if (h == SR_HASH_NONE || sr_hash_from_mgf(p.mgf) != h || p.sLen != sr_hash_len(h) || (lhash != SR_HASH_NONE && lhash != h)) {
      return CKR_MECHANISM_PARAM_INVALID;
    }
    row = sr_mech_remote(CKM_RSA_PKCS_PSS, SR_OP_SIGN, h, SR_CRV_ANY);
    if (row == NULL) return CKR_MECHANISM_PARAM_INVALID;
    op->pss_hash = h;
    op->sig_len = k->modulus.len;
  } else if (base == CKM_ECDSA) {
    if (k->family != SR_FAMILY_EC) return CKR_KEY_TYPE_INCONSISTENT;
    if (mech->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
    row = sr_mech_remote(CKM_ECDSA, SR_OP_SIGN, SR_HASH_NONE, k->curve);
    if (row == NULL) return CKR_CURVE_NOT_SUPPORTED;
    op->sig_len = 2 * (size_t)sr_curve_bytes(k->curve);
  } else {
    return CKR_MECHANISM_INVALID;
  }
  op->jwa = row->jwa;
  op->row_hash = row->hash;
  return start_hash(op);
}

CK_RV sr_op_update(sr_op *op, const unsigned char *p, size_t n) {
  if (op->md != NULL) return EVP_DigestUpdate(op->md, p, n) == 1 ? CKR_OK : CKR_FUNCTION_FAILED;
  /* Raw mechanisms are single-part by the spec; collecting a few parts costs nothing and helps callers. */
  if (op->data.len + n > 16384) return CKR_DATA_LEN_RANGE;
  return sr_buf_add(&op->data, p, n) ? CKR_OK : CKR_HOST_MEMORY;
}

/* The value the signature covers: the local digest for hash-and-sign, else the caller's data. */
CK_RV sr_op_message(sr_op *op, unsigned char *buf, size_t *len) {
  if (op->md != NULL) {
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(op->md, buf, &n) != 1) return CKR_FUNCTION_FAILED;
    *len = n;
    return CKR_OK;
  }
  if (op->data.len > *len) return CKR_DATA_LEN_RANGE;
  if (op->data.len > 0) memcpy(buf, op->data.data, op->data.len);
  *len = op->data.len;
  return CKR_OK;
}

/* Shapes the digest for the service: exact hash length for RSxxx/PSxxx, curve-sized for ECDSA, k-11 for RSNULL. */
static CK_RV shape_digest(const sr_op *op, const sr_key *k, const unsigned char *in, size_t n, unsigned char *out, size_t *outlen) {
  if (op->base == CKM_ECDSA) {
    /* ECDSA uses the leftmost bits of the digest up to the order's size (FIPS 186-4 6.4): truncating a longer
     * digest or left-padding a shorter one with zeros gives the same integer, so any digest length maps onto the
     * service's fixed-length ESxxx input. P-521's order is not byte-aligned: longer than 64 bytes is refused. */
    size_t want = sr_hash_len(op->row_hash);
    if (n == 0 || (k->curve == SR_CRV_P521 && n > want)) return CKR_DATA_LEN_RANGE;
    if (n >= want) { memcpy(out, in, want); }
    else { memset(out, 0, want - n); memcpy(out + want - n, in, n); }
    *outlen = want;
    return CKR_OK;
  }
  if (op->row_hash != SR_HASH_NONE) {
    if (n != sr_hash_len(op->row_hash)) return CKR_DATA_LEN_RANGE;
  } else if (n == 0 || n + 11 > k->modulus.len) {
    return CKR_DATA_LEN_RANGE;
  }
  memcpy(out, in, n);
  *outlen = n;
  return CKR_OK;
}

CK_RV sr_op_sign_remote(sr_op *op, sr_service *svc, const unsigned char *msg, size_t n, unsigned char *sig) {
  const sr_key *k = &op->obj->key->k;
  unsigned char digest[1024];
  size_t dlen = sizeof digest;
  if (n > sizeof digest) return CKR_DATA_LEN_RANGE;
  CK_RV rv = shape_digest(op, k, msg, n, digest, &dlen);
  if (rv != CKR_OK) return rv;
  sr_buf out = { 0 };
  rv = sr_rest_sign(svc, k, op->jwa, digest, dlen, &out);
  if (rv == CKR_OK) {
    if (out.len > op->sig_len || out.len == 0) rv = CKR_DEVICE_ERROR;
    else {
      memset(sig, 0, op->sig_len - out.len); /* an RSA signature is k bytes, leading zeros included */
      memcpy(sig + op->sig_len - out.len, out.data, out.len);
    }
  }
  sr_buf_free(&out);
  return rv;
}

static EVP_PKEY_CTX *pkey_ctx(const sr_key *k) {
  return EVP_PKEY_CTX_new_from_pkey(sr_crypto_libctx(), k->pub, NULL);
}

static const char *md_name(sr_hash h) { return sr_hash_name(h); }

CK_RV sr_op_verify_local(sr_op *op, const unsigned char *msg, size_t n, const unsigned char *sig, size_t siglen) {
  const sr_key *k = &op->obj->key->k;
  if (k->pub == NULL) return CKR_KEY_TYPE_INCONSISTENT;
  if (siglen != op->sig_len) return CKR_SIGNATURE_LEN_RANGE;
  EVP_PKEY_CTX *ctx = pkey_ctx(k);
  CK_RV rv = CKR_SIGNATURE_INVALID;
  unsigned char *der = NULL;
  if (ctx == NULL) return CKR_HOST_MEMORY;
  if (op->base == CKM_ECDSA) {
    size_t cb = siglen / 2;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)cb, NULL), *s = BN_bin2bn(sig + cb, (int)cb, NULL);
    int dl = -1;
    if (es != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(es, r, s) == 1) { r = s = NULL; dl = i2d_ECDSA_SIG(es, &der); }
    BN_free(r); BN_free(s);
    ECDSA_SIG_free(es);
    if (dl > 0 && n > 0 && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_verify(ctx, der, (size_t)dl, msg, n) == 1) rv = CKR_OK;
  } else if (op->base == CKM_RSA_PKCS && op->row_hash == SR_HASH_NONE) {
    unsigned char rec[1024];
    size_t rl = sizeof rec;
    if (EVP_PKEY_verify_recover_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_verify_recover(ctx, rec, &rl, sig, siglen) == 1 && rl == n && CRYPTO_memcmp(rec, msg, n) == 0) rv = CKR_OK;
  } else {
    sr_hash h = op->base == CKM_RSA_PKCS_PSS ? op->pss_hash : op->row_hash;
    EVP_MD *md = EVP_MD_fetch(sr_crypto_libctx(), md_name(h), NULL);
    bool pss = op->base == CKM_RSA_PKCS_PSS;
    if (md != NULL && n == sr_hash_len(h) && EVP_PKEY_verify_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) == 1 &&
        EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
        (!pss || (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, (int)sr_hash_len(h)) == 1)) &&
        EVP_PKEY_verify(ctx, sig, siglen, msg, n) == 1) rv = CKR_OK;
    else if (n != sr_hash_len(h)) rv = CKR_DATA_LEN_RANGE;
    EVP_MD_free(md);
  }
  OPENSSL_free(der);
  EVP_PKEY_CTX_free(ctx);
  return rv;
}

/* ---- AES: both directions remote ---- */
static CK_RV plan_aes(sr_op *op, const CK_MECHANISM *mech, const sr_key *k, bool decrypt) {
  CK_MECHANISM_TYPE m = mech->mechanism;
  op->mech = op->base = m;
  op->aes = true;
  if (m == CKM_AES_CBC || m == CKM_AES_CBC_PAD) {
    /* PKCS#11: the IV is the parameter, 16 bytes. The service uses it as given. */
    if (mech->pParameter == NULL || mech->ulParameterLen != 16) return CKR_MECHANISM_PARAM_INVALID;
    if (!sr_buf_add(&op->iv, mech->pParameter, 16)) return CKR_HOST_MEMORY;
  } else if (m == CKM_AES_GCM) {
    /* Decrypt only: GCM encryption needs the IV the service makes, which C_Encrypt cannot hand back. */
    if (!decrypt) return CKR_MECHANISM_INVALID;
    if (mech->pParameter == NULL || mech->ulParameterLen != sizeof(CK_GCM_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
    CK_GCM_PARAMS p;
    memcpy(&p, mech->pParameter, sizeof p);
    if (p.pIv == NULL || p.ulIvLen != 12 || p.ulTagBits != 128 || (p.pAAD == NULL && p.ulAADLen > 0) || p.ulAADLen > 65536) return CKR_MECHANISM_PARAM_INVALID;
    if (!sr_buf_add(&op->iv, p.pIv, 12) || !sr_buf_add(&op->aad, p.pAAD, p.ulAADLen)) return CKR_HOST_MEMORY;
  } else if (m == CKM_AES_KEY_WRAP || m == CKM_AES_KEY_WRAP_KWP) {
    /* The service uses the RFC's default IV; another one cannot be honoured. */
    if (mech->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
  } else {
    return CKR_MECHANISM_INVALID;
  }
  const sr_aes_row *row = sr_mech_aes(m, decrypt ? SR_OP_DECRYPT : SR_OP_ENCRYPT, k->size_bits);
  if (row == NULL) return k->size_bits == 0 ? CKR_KEY_FUNCTION_NOT_PERMITTED : CKR_KEY_SIZE_RANGE;
  op->jwa = row->jwa;
  return CKR_OK;
}

size_t sr_op_aes_encrypted_len(const sr_op *op, size_t n) {
  switch (op->mech) {
    case CKM_AES_CBC: return n > 0 && n % 16 == 0 ? n : 0;
    case CKM_AES_CBC_PAD: return (n / 16 + 1) * 16;
    case CKM_AES_KEY_WRAP: return n >= 16 && n % 8 == 0 ? n + 8 : 0;
    case CKM_AES_KEY_WRAP_KWP: return n > 0 ? (n + 7) / 8 * 8 + 8 : 0;
    default: return 0;
  }
}

bool sr_op_aes_ciphertext_ok(const sr_op *op, size_t n) {
  switch (op->mech) {
    case CKM_AES_CBC: case CKM_AES_CBC_PAD: return n > 0 && n % 16 == 0;
    case CKM_AES_KEY_WRAP: return n >= 24 && n % 8 == 0;
    case CKM_AES_KEY_WRAP_KWP: return n >= 16 && n % 8 == 0;
    case CKM_AES_GCM: return n >= 16; /* ciphertext || 16-byte tag, as PKCS#11 lays it out */
    default: return false;
  }
}

CK_RV sr_op_aes_remote(sr_op *op, sr_service *svc, bool encrypt, const unsigned char *in, size_t n, sr_buf *out) {
  const sr_key *k = &op->obj->key->k;
  if (op->mech != CKM_AES_GCM) return sr_rest_aes(svc, k, encrypt, op->jwa, in, n, &op->iv, NULL, NULL, out);
  sr_buf tag = { 0 };
  if (!sr_buf_add(&tag, in + n - 16, 16)) return CKR_HOST_MEMORY;
  CK_RV rv = sr_rest_aes(svc, k, false, op->jwa, in, n - 16, &op->iv, &op->aad, &tag, out);
  sr_buf_free(&tag);
  return rv;
}

/* ---- RSA decrypt (remote) and encrypt (local) ---- */
CK_RV sr_op_plan_cipher(sr_op *op, const CK_MECHANISM *mech, const sr_key *k, bool decrypt) {
  if (k->family == SR_FAMILY_OCT) return plan_aes(op, mech, k, decrypt);
  if (k->family != SR_FAMILY_RSA) return CKR_KEY_TYPE_INCONSISTENT;
  if (mech->mechanism != CKM_RSA_PKCS && mech->mechanism != CKM_RSA_PKCS_OAEP) {
    return sr_mech_aes(mech->mechanism, decrypt ? SR_OP_DECRYPT : SR_OP_ENCRYPT, 0) != NULL ||
           sr_mech_aes(mech->mechanism, decrypt ? SR_OP_DECRYPT : SR_OP_ENCRYPT, 128) != NULL ? CKR_KEY_TYPE_INCONSISTENT : CKR_MECHANISM_INVALID;
  }
  op->mech = op->base = mech->mechanism;
  op->sig_len = k->modulus.len;
  if (mech->mechanism == CKM_RSA_PKCS) {
    if (mech->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
    op->jwa = sr_mech_remote(CKM_RSA_PKCS, SR_OP_DECRYPT, SR_HASH_NONE, SR_CRV_ANY)->jwa;
    return CKR_OK;
  }
  if (mech->mechanism != CKM_RSA_PKCS_OAEP) return CKR_MECHANISM_INVALID;
  if (mech->pParameter == NULL || mech->ulParameterLen != sizeof(CK_RSA_PKCS_OAEP_PARAMS)) return CKR_MECHANISM_PARAM_INVALID;
  CK_RSA_PKCS_OAEP_PARAMS p;
  memcpy(&p, mech->pParameter, sizeof p);
  sr_hash h = sr_hash_from_ckm(p.hashAlg);
  /* The service takes no OAEP label and uses MGF1 with the OAEP hash. */
  if (h == SR_HASH_NONE || sr_hash_from_mgf(p.mgf) != h || (p.source != 0 && p.source != CKZ_DATA_SPECIFIED) || p.ulSourceDataLen != 0) {
    return CKR_MECHANISM_PARAM_INVALID;
  }
  op->pss_hash = h;
  if (decrypt) {
    const sr_mech_row *row = sr_mech_remote(CKM_RSA_PKCS_OAEP, SR_OP_DECRYPT, h, SR_CRV_ANY);
    if (row == NULL) return CKR_MECHANISM_PARAM_INVALID;
    op->jwa = row->jwa;
  }
  return CKR_OK;
}

CK_RV sr_op_encrypt_local(sr_op *op, const unsigned char *in, size_t n, unsigned char *out, size_t *outlen) {
  const sr_key *k = &op->obj->key->k;
  EVP_PKEY_CTX *ctx = pkey_ctx(k);
  EVP_MD *md = NULL;
  CK_RV rv = CKR_DATA_LEN_RANGE;
  if (ctx == NULL) return CKR_HOST_MEMORY;
  bool oaep = op->mech == CKM_RSA_PKCS_OAEP;
  size_t overhead = oaep ? 2 * sr_hash_len(op->pss_hash) + 2 : 11;
  if (n + overhead > k->modulus.len) goto out;
  rv = CKR_FUNCTION_FAILED;
  if (EVP_PKEY_encrypt_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, oaep ? RSA_PKCS1_OAEP_PADDING : RSA_PKCS1_PADDING) != 1) goto out;
  if (oaep) {
    md = EVP_MD_fetch(sr_crypto_libctx(), md_name(op->pss_hash), NULL);
    if (md == NULL || EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1 || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) goto out;
  }
  size_t ol = *outlen;
  if (EVP_PKEY_encrypt(ctx, out, &ol, in, n) == 1) { *outlen = ol; rv = CKR_OK; }
out:
  EVP_MD_free(md);
  EVP_PKEY_CTX_free(ctx);
  return rv;
}

CK_RV sr_op_plan_digest(sr_op *op, const CK_MECHANISM *mech) {
  sr_hash h = sr_hash_from_ckm(mech->mechanism);
  if (h == SR_HASH_NONE) return CKR_MECHANISM_INVALID;
  if (mech->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
  op->mech = mech->mechanism;
  op->lhash = h;
  op->sig_len = sr_hash_len(h);
  return start_hash(op);
}

/* ---- multi-part AES-CBC(-PAD): buffered in the session, sent at Final ---- */
bool sr_op_aes_multipart(const sr_op *op) {
  return op->aes && (op->mech == CKM_AES_CBC || op->mech == CKM_AES_CBC_PAD);
}

CK_RV sr_op_aes_buffer(sr_op *op, const unsigned char *p, size_t n, bool decrypt) {
  if (n > SR_AES_MULTIPART_MAX || op->data.len + n > SR_AES_MULTIPART_MAX) return decrypt ? CKR_ENCRYPTED_DATA_LEN_RANGE : CKR_DATA_LEN_RANGE;
  return sr_buf_add(&op->data, p, n) ? CKR_OK : CKR_HOST_MEMORY; /* grows by copy and wipes the old block */
}

/* The service takes at most 64 KiB of base64url in `value`, i.e. 48 KiB of data (a multiple of the block). */
#define AES_CHUNK 49152u

CK_RV sr_op_aes_cipher(sr_op *op, sr_service *svc, bool encrypt, const unsigned char *in, size_t n, sr_buf *out) {
  if (!sr_op_aes_multipart(op) || n <= AES_CHUNK) return sr_op_aes_remote(op, svc, encrypt, in, n, out);
  /* CBC over a concatenation is CBC over its pieces with each piece's IV the previous piece's last ciphertext
   * block; every piece but the last is whole blocks without padding (A*CBC), the last uses the op's algorithm. */
  const sr_key *k = &op->obj->key->k;
  const sr_aes_row *plain = sr_mech_aes(CKM_AES_CBC, encrypt ? SR_OP_ENCRYPT : SR_OP_DECRYPT, k->size_bits);
  if (plain == NULL || op->iv.len != 16) return CKR_KEY_SIZE_RANGE;
  unsigned char chain[16];
  memcpy(chain, op->iv.data, 16);
  CK_RV rv = CKR_OK;
  for (size_t off = 0; rv == CKR_OK && off < n;) {
    bool last = n - off <= AES_CHUNK;
    size_t len = last ? n - off : AES_CHUNK;
    sr_buf iv = { 0 }, part = { 0 };
    if (!sr_buf_add(&iv, chain, 16)) rv = CKR_HOST_MEMORY;
    if (rv == CKR_OK) rv = sr_rest_aes(svc, k, encrypt, last ? op->jwa : plain->jwa, in + off, len, &iv, NULL, NULL, &part);
    if (rv == CKR_OK && !last && part.len != len) rv = CKR_DEVICE_ERROR;
    if (rv == CKR_OK) {
      if (!last) memcpy(chain, encrypt ? part.data + part.len - 16 : in + off + len - 16, 16);
      if (!sr_buf_add(out, part.data, part.len)) rv = CKR_HOST_MEMORY;
    }
    sr_buf_free(&part); /* wiped: may be plaintext */
    sr_buf_free(&iv);
    off += len;
  }
  return rv;
}
