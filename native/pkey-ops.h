// The private- and public-key operations Node's crypto module does not offer, written against OpenSSL's EVP
// API only. No N-API here: the same functions run on the main thread (sync calls) and on libuv worker threads
// (async calls), so they touch no JavaScript state and share nothing mutable.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

#include "secure-bytes.h"

namespace strongroom {

// Numeric codes shared with src/crypto/native.ts (which checks them against the exported constants at load).
enum class SignMode : int {
  kEcdsa = 0,        // ECDSA over a precomputed digest, signature as P1363 r||s
  kRsaPkcs1 = 1,     // RSASSA-PKCS1-v1_5: OpenSSL builds the DigestInfo for the given hash
  kRsaPkcs1Raw = 2,  // type-1 padding over the raw value, no DigestInfo (Key Vault's RSNULL)
  kRsaPss = 3,       // RSASSA-PSS, MGF1 with the same hash, salt length = hash length
};

enum class DigestId : int { kNone = 0, kSha1 = 1, kSha256 = 2, kSha384 = 3, kSha512 = 4 };

enum class RsaPadding : int { kPkcs1 = 0, kOaep = 1 };

// Largest input the addon accepts for any operation; far above any legitimate digest or RSA block.
constexpr size_t kMaxInputBytes = 2048;

bool IsValidSignMode(int value);
bool IsValidDigestId(int value);

struct KeyShape {
  int base_id;        // EVP_PKEY_RSA or EVP_PKEY_EC
  size_t ecdsa_half;  // bytes per P1363 half (order size) for EC keys, else 0
  size_t rsa_bytes;   // modulus size k for RSA keys, else 0
};

// Describes a parsed key; false if it is neither RSA nor EC.
bool DescribeKey(EVP_PKEY* pkey, KeyShape* shape);

// Creates the OpenSSL signing context for (mode, digest). Returns nullptr on failure.
EVP_PKEY_CTX* NewSignContext(EVP_PKEY* pkey, SignMode mode, DigestId digest);

// Signs with a context from NewSignContext. For ECDSA the result is already converted to P1363.
bool SignWithContext(EVP_PKEY_CTX* ctx, const KeyShape& shape, SignMode mode, const uint8_t* digest,
                     size_t digest_len, SecureBytes* signature);

// One-shot sign (fresh context), used by worker threads.
bool SignDigest(EVP_PKEY* pkey, const KeyShape& shape, SignMode mode, DigestId digest_id, const uint8_t* digest,
                size_t digest_len, SecureBytes* signature);

// PSS salt length meaning "as long as the hash" (RSA_PSS_SALTLEN_DIGEST), the JWA PS* rule.
constexpr int kPssSaltDigestLength = -1;

// True only for a valid signature; every malformation or failure is simply "false". `pss_salt_length` is
// kPssSaltDigestLength in production; test vectors with other salt lengths pass theirs.
bool VerifyDigest(EVP_PKEY* pkey, const KeyShape& shape, SignMode mode, DigestId digest_id, const uint8_t* digest,
                  size_t digest_len, const uint8_t* signature, size_t signature_len, int pss_salt_length);

// RSA decryption. PKCS#1 v1.5 runs with implicit rejection on (OpenSSL >= 3.2): a ciphertext whose padding
// is wrong decrypts to a deterministic pseudo-random message instead of failing, so the caller cannot be used
// as a padding oracle (Bleichenbacher / Marvin). False only for structural errors (wrong length) or OAEP
// decoding failures.
bool RsaDecrypt(EVP_PKEY* pkey, const KeyShape& shape, RsaPadding padding, DigestId oaep_digest,
                const uint8_t* ciphertext, size_t ciphertext_len, SecureBytes* plaintext);

// Whether the OpenSSL in this process implements implicit rejection for PKCS#1 v1.5 decryption.
bool RuntimeHasImplicitRejection();

}  // namespace strongroom
