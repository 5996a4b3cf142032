// DER <-> IEEE P1363 for ECDSA signatures, with OpenSSL's own parser and encoder (no hand-written ASN.1).
#include "ecdsa-p1363.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

namespace strongroom {

bool EcdsaDerToP1363(const uint8_t* der, size_t der_len, size_t half, uint8_t* out) {
  const unsigned char* cursor = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_len));
  if (sig == nullptr) return false;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  const bool ok = BN_bn2binpad(r, out, static_cast<int>(half)) == static_cast<int>(half) &&
                  BN_bn2binpad(s, out + half, static_cast<int>(half)) == static_cast<int>(half);
  ECDSA_SIG_free(sig);
  return ok;
}

bool EcdsaP1363ToDer(const uint8_t* sig, size_t sig_len, size_t half, std::vector<uint8_t>* der) {
  if (half == 0 || sig_len != 2 * half) return false;
  BIGNUM* r = BN_bin2bn(sig, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(sig + half, static_cast<int>(half), nullptr);
  ECDSA_SIG* value = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || value == nullptr || ECDSA_SIG_set0(value, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(value);
    return false;
  }
  // ECDSA_SIG_set0 took ownership of r and s.
  const int size = i2d_ECDSA_SIG(value, nullptr);
  bool ok = size > 0;
  if (ok) {
    der->resize(static_cast<size_t>(size));
    unsigned char* cursor = der->data();
    ok = i2d_ECDSA_SIG(value, &cursor) == size;
  }
  ECDSA_SIG_free(value);
  return ok;
}

}  // namespace strongroom
