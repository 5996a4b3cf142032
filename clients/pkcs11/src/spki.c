/*
 * Public keys as OpenSSL objects, made by decoding a DER SubjectPublicKeyInfo in the module's library context.
 * Not EVP_PKEY_fromdata: creating its context by key-type name consults ENGINE tables, so with the libp11 engine
 * set as default (nginx, `openssl -engine pkcs11`) key construction would be routed to the engine and fail.
 * Decoders make provider-native keys, and operations on those never consult an engine.
 */
#include "common.h"
#include <string.h>
#include <openssl/x509.h>

static bool der_len(sr_buf *b, size_t n) {
  unsigned char l[4];
  if (n < 128) { l[0] = (unsigned char)n; return sr_buf_add(b, l, 1); }
  if (n < 256) { l[0] = 0x81; l[1] = (unsigned char)n; return sr_buf_add(b, l, 2); }
  l[0] = 0x82; l[1] = (unsigned char)(n >> 8); l[2] = (unsigned char)n;
  return n < 65536 && sr_buf_add(b, l, 3);
}

static bool der_tlv(sr_buf *b, unsigned char tag, const unsigned char *v, size_t n) {
  return sr_buf_add(b, &tag, 1) && der_len(b, n) && sr_buf_add(b, v, n);
}

/* A non-negative INTEGER from big-endian bytes. */
static bool der_uint(sr_buf *b, const unsigned char *v, size_t n) {
  while (n > 1 && v[0] == 0) { v++; n--; }
  sr_buf t = { 0 };
  unsigned char zero = 0;
  bool ok = (n > 0 && !(v[0] & 0x80)) || sr_buf_add(&t, &zero, 1);
  ok = ok && sr_buf_add(&t, v, n) && der_tlv(b, 0x02, t.data, t.len);
  sr_buf_free(&t);
  return ok;
}

static sr_pkey *decode(const sr_buf *spki) {
  const unsigned char *p = spki->data;
  return d2i_PUBKEY_ex(NULL, &p, (long)spki->len, sr_crypto_libctx(), NULL);
}

static bool wrap_spki(const unsigned char *alg, size_t alen, const sr_buf *bits, sr_buf *out) {
  sr_buf bs = { 0 }, seq = { 0 };
  unsigned char zero = 0;
  bool ok = sr_buf_add(&bs, &zero, 1) && sr_buf_add(&bs, bits->data, bits->len) &&
            der_tlv(&seq, 0x30, alg, alen) && der_tlv(&seq, 0x03, bs.data, bs.len) && der_tlv(out, 0x30, seq.data, seq.len);
  sr_buf_free(&bs);
  sr_buf_free(&seq);
  return ok;
}

sr_pkey *sr_rsa_public(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen, sr_buf *spki) {
  static const unsigned char alg[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
  sr_buf ints = { 0 }, key = { 0 };
  bool ok = der_uint(&ints, n, nlen) && der_uint(&ints, e, elen) && der_tlv(&key, 0x30, ints.data, ints.len) &&
            wrap_spki(alg, sizeof alg, &key, spki);
  sr_buf_free(&ints);
  sr_buf_free(&key);
  return ok ? decode(spki) : NULL;
}

sr_pkey *sr_ec_public(const unsigned char *curve_oid_der, size_t olen, const unsigned char *point, size_t plen, sr_buf *spki) {
  static const unsigned char ec_oid[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
  unsigned char alg[sizeof ec_oid + 16];
  if (olen > 16) return NULL;
  memcpy(alg, ec_oid, sizeof ec_oid);
  memcpy(alg + sizeof ec_oid, curve_oid_der, olen);
  sr_buf bits = { 0 };
  bool ok = sr_buf_add(&bits, point, plen) && wrap_spki(alg, sizeof ec_oid + olen, &bits, spki);
  sr_buf_free(&bits);
  return ok ? decode(spki) : NULL;
}
