/*
 * generate_certs: a self-signed X.509 certificate per asymmetric key, signed by the key itself through the
 * service (Java's KeyStore lists a private key only beside a certificate). OpenSSL builds the certificate; to get
 * the algorithm identifiers right it is first signed with a throw-away local key of the same type, then the TBS
 * part is signed remotely and the signature replaced. The result is checked with the key's public half.
 */
#include "common.h"
#include <string.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* A throw-away key of the same type, generated from the public key's own (provider-native) context so that no
 * ENGINE is consulted (see spki.c). EC keys take the curve from it; RSA keys only need the type. */
static EVP_PKEY *dummy_key(const sr_key *k) {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(sr_crypto_libctx(), k->pub, NULL);
  EVP_PKEY *out = NULL;
  if (ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 && (k->family != SR_FAMILY_RSA || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024) == 1)) {
    EVP_PKEY_keygen(ctx, &out);
  }
  EVP_PKEY_CTX_free(ctx);
  return out;
}

/* r||s → DER ECDSA-Sig-Value */
static bool ecdsa_der(const sr_buf *raw, sr_buf *der) {
  size_t h = raw->len / 2;
  ECDSA_SIG *s = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw->data, (int)h, NULL), *ss = BN_bin2bn(raw->data + h, (int)h, NULL);
  unsigned char *p = NULL;
  int n = -1;
  if (s != NULL && r != NULL && ss != NULL && ECDSA_SIG_set0(s, r, ss) == 1) { r = ss = NULL; n = i2d_ECDSA_SIG(s, &p); }
  BN_free(r); BN_free(ss);
  ECDSA_SIG_free(s);
  bool ok = n > 0 && sr_buf_add(der, p, (size_t)n);
  OPENSSL_free(p);
  return ok;
}

CK_RV sr_cert_make(sr_service *svc, sr_key *k) {
  if (k->pub == NULL) return CKR_KEY_TYPE_INCONSISTENT;
  const char *md_name = "SHA256", *alg = "RS256";
  if (k->family == SR_FAMILY_EC) {
    switch (k->curve) {
      case SR_CRV_P256: alg = "ES256"; break;
      case SR_CRV_P256K: alg = "ES256K"; break;
      case SR_CRV_P384: alg = "ES384"; md_name = "SHA384"; break;
      case SR_CRV_P521: alg = "ES512"; md_name = "SHA512"; break;
      default: return CKR_CURVE_NOT_SUPPORTED;
    }
  }
  CK_RV rv = CKR_FUNCTION_FAILED;
  EVP_PKEY *dummy = dummy_key(k);
  EVP_MD *md = EVP_MD_fetch(sr_crypto_libctx(), md_name, NULL);
  X509 *x = X509_new_ex(sr_crypto_libctx(), NULL);
  X509_NAME *name = X509_NAME_new();
  unsigned char *tbs = NULL, *der = NULL, serial[16], digest[64];
  unsigned int dlen = 0;
  sr_buf sig = { 0 }, sigder = { 0 };
  if (dummy == NULL || md == NULL || x == NULL || name == NULL || RAND_bytes(serial, sizeof serial) != 1) goto out;
  serial[0] &= 0x7f;
  BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
  bool ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
  BN_free(bn);
  ok = ok && X509_set_version(x, X509_VERSION_3) &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)k->name, -1, -1, 0) &&
       X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Strongroom", -1, -1, 0) &&
       X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
       X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL && X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) != NULL &&
       X509_set_pubkey(x, k->pub) && X509_sign(x, dummy, md) > 0;
  int tlen = ok ? i2d_re_X509_tbs(x, &tbs) : -1;
  if (tlen <= 0 || EVP_Digest(tbs, (size_t)tlen, digest, &dlen, md, NULL) != 1) goto out;
  rv = sr_rest_sign(svc, k, alg, digest, dlen, &sig);
  if (rv != CKR_OK) goto out;
  rv = CKR_FUNCTION_FAILED;
  const sr_buf *final = &sig;
  if (k->family == SR_FAMILY_EC) {
    if (!ecdsa_der(&sig, &sigder)) goto out;
    final = &sigder;
  }
  const ASN1_BIT_STRING *cpsig;
  X509_get0_signature(&cpsig, NULL, x);
  ASN1_BIT_STRING *psig = (ASN1_BIT_STRING *)cpsig;
  if (ASN1_BIT_STRING_set(psig, final->data, (int)final->len) != 1) goto out;
  psig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  psig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  if (X509_verify(x, k->pub) != 1) { sr_log("cert: self-check failed for %s", k->name); goto out; }
  int n = i2d_X509(x, &der);
  if (n > 0 && sr_buf_add(&k->cert, der, (size_t)n)) rv = CKR_OK;
out:
  OPENSSL_free(tbs);
  OPENSSL_free(der);
  sr_buf_free(&sig);
  sr_buf_free(&sigder);
  X509_NAME_free(name);
  X509_free(x);
  EVP_MD_free(md);
  EVP_PKEY_free(dummy);
  return rv;
}
