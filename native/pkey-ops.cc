// EVP-level implementations of digest signing, digest verification and RSA decryption.
//
// Every function leaves OpenSSL's thread-local error queue empty: Node's own crypto code shares that queue on
// the main thread and on libuv workers, and a stale entry would surface as a confusing error elsewhere.
#include "pkey-ops.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include <vector>

#include "ecdsa-p1363.h"

#ifndef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
#error "OpenSSL >= 3.2 headers are required (implicit rejection for RSA PKCS#1 v1.5 decryption)"
#endif

namespace strongroom {
namespace {

// Clears the error queue when the enclosing call returns, whatever the path.
class ErrorQueueGuard {
 public:
  ErrorQueueGuard() = default;
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

const EVP_MD* DigestFor(DigestId id) {
  switch (id) {
    case DigestId::kSha1: return EVP_sha1();
    case DigestId::kSha256: return EVP_sha256();
    case DigestId::kSha384: return EVP_sha384();
    case DigestId::kSha512: return EVP_sha512();
    case DigestId::kNone: return nullptr;
  }
  return nullptr;
}

bool ModeFitsKey(SignMode mode, const KeyShape& shape) {
  return mode == SignMode::kEcdsa ? shape.base_id == EVP_PKEY_EC : shape.base_id == EVP_PKEY_RSA;
}

// Padding, hash and salt settings shared by signing and verification contexts.
bool ConfigureSignature(EVP_PKEY_CTX* ctx, SignMode mode, DigestId digest_id,
                        int pss_salt_length = kPssSaltDigestLength) {
  const EVP_MD* md = DigestFor(digest_id);
  switch (mode) {
    case SignMode::kEcdsa:
      // No hash is set on purpose: the digest length was validated by the caller, and leaving the hash
      // unset spares OpenSSL a provider fetch per call on the hottest path.
      return true;
    case SignMode::kRsaPkcs1:
      return md != nullptr && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
    case SignMode::kRsaPkcs1Raw:
      return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    case SignMode::kRsaPss:
      return md != nullptr && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, pss_salt_length) == 1;
  }
  return false;
}

}  // namespace

static_assert(kPssSaltDigestLength == RSA_PSS_SALTLEN_DIGEST, "salt length code must match OpenSSL");

bool IsValidSignMode(int value) { return value >= 0 && value <= static_cast<int>(SignMode::kRsaPss); }
bool IsValidDigestId(int value) { return value >= 0 && value <= static_cast<int>(DigestId::kSha512); }

bool DescribeKey(EVP_PKEY* pkey, KeyShape* shape) {
  const int base_id = EVP_PKEY_get_base_id(pkey);
  const int bits = EVP_PKEY_get_bits(pkey);
  if (bits <= 0) return false;
  if (base_id == EVP_PKEY_EC) {
    *shape = {base_id, (static_cast<size_t>(bits) + 7) / 8, 0};
    return true;
  }
  if (base_id == EVP_PKEY_RSA) {
    *shape = {base_id, 0, static_cast<size_t>(EVP_PKEY_get_size(pkey))};
    return true;
  }
  return false;
}

EVP_PKEY_CTX* NewSignContext(EVP_PKEY* pkey, SignMode mode, DigestId digest_id) {
  ErrorQueueGuard guard;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  if (ctx == nullptr) return nullptr;
  if (EVP_PKEY_sign_init(ctx) != 1 || !ConfigureSignature(ctx, mode, digest_id)) {
    EVP_PKEY_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

bool SignWithContext(EVP_PKEY_CTX* ctx, const KeyShape& shape, SignMode mode, const uint8_t* digest,
                     size_t digest_len, SecureBytes* signature) {
  ErrorQueueGuard guard;
  if (!ModeFitsKey(mode, shape)) return false;
  if (mode == SignMode::kEcdsa) {
    // DER ECDSA signatures are at most 2*half + 9 bytes; a stack buffer avoids a heap round trip.
    unsigned char der[2 * 66 + 16];
    size_t der_len = sizeof(der);
    if (shape.ecdsa_half == 0 || shape.ecdsa_half > 66) return false;
    if (EVP_PKEY_sign(ctx, der, &der_len, digest, digest_len) != 1) return false;
    signature->Allocate(2 * shape.ecdsa_half);
    const bool ok = EcdsaDerToP1363(der, der_len, shape.ecdsa_half, signature->data());
    OPENSSL_cleanse(der, sizeof(der));
    return ok;
  }
  size_t sig_len = shape.rsa_bytes;
  signature->Allocate(sig_len);
  if (EVP_PKEY_sign(ctx, signature->data(), &sig_len, digest, digest_len) != 1) return false;
  signature->Truncate(sig_len);
  return sig_len == shape.rsa_bytes;
}

bool SignDigest(EVP_PKEY* pkey, const KeyShape& shape, SignMode mode, DigestId digest_id, const uint8_t* digest,
                size_t digest_len, SecureBytes* signature) {
  if (!ModeFitsKey(mode, shape)) return false;
  EVP_PKEY_CTX* ctx = NewSignContext(pkey, mode, digest_id);
  if (ctx == nullptr) return false;
  const bool ok = SignWithContext(ctx, shape, mode, digest, digest_len, signature);
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

bool VerifyDigest(EVP_PKEY* pkey, const KeyShape& shape, SignMode mode, DigestId digest_id, const uint8_t* digest,
                  size_t digest_len, const uint8_t* signature, size_t signature_len, int pss_salt_length) {
  ErrorQueueGuard guard;
  if (!ModeFitsKey(mode, shape)) return false;
  std::vector<uint8_t> der;
  if (mode == SignMode::kEcdsa) {
    if (!EcdsaP1363ToDer(signature, signature_len, shape.ecdsa_half, &der)) return false;
    signature = der.data();
    signature_len = der.size();
  } else if (signature_len != shape.rsa_bytes) {
    return false;
  }
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  if (ctx == nullptr) return false;
  const bool ok = EVP_PKEY_verify_init(ctx) == 1 && ConfigureSignature(ctx, mode, digest_id, pss_salt_length) &&
                  EVP_PKEY_verify(ctx, signature, signature_len, digest, digest_len) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

bool RsaDecrypt(EVP_PKEY* pkey, const KeyShape& shape, RsaPadding padding, DigestId oaep_digest,
                const uint8_t* ciphertext, size_t ciphertext_len, SecureBytes* plaintext) {
  ErrorQueueGuard guard;
  if (shape.base_id != EVP_PKEY_RSA || ciphertext_len != shape.rsa_bytes) return false;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  if (ctx == nullptr) return false;
  bool ok = EVP_PKEY_decrypt_init(ctx) == 1;
  if (ok && padding == RsaPadding::kPkcs1) {
    // Implicit rejection is OpenSSL's default since 3.2; it is requested explicitly so that a change of
    // default can never silently turn this endpoint into a padding oracle.
    unsigned int implicit_rejection = 1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION, &implicit_rejection),
        OSSL_PARAM_construct_end(),
    };
    ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 && EVP_PKEY_CTX_set_params(ctx, params) == 1;
  } else if (ok) {
    const EVP_MD* md = DigestFor(oaep_digest);
    ok = md != nullptr && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1;
  }
  size_t out_len = shape.rsa_bytes;
  if (ok) {
    plaintext->Allocate(out_len);
    ok = EVP_PKEY_decrypt(ctx, plaintext->data(), &out_len, ciphertext, ciphertext_len) == 1;
  }
  EVP_PKEY_CTX_free(ctx);
  if (!ok) {
    plaintext->Allocate(0);
    return false;
  }
  plaintext->Truncate(out_len);
  return true;
}

bool RuntimeHasImplicitRejection() { return OpenSSL_version_num() >= 0x30200000L; }

}  // namespace strongroom
