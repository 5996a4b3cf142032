// Conversion between the DER ECDSA-Sig-Value OpenSSL speaks and the fixed-width r||s (IEEE P1363) form that
// JOSE and Key Vault put on the wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strongroom {

// Writes r||s, each left-padded to `half` bytes, into `out` (2*half bytes). False if the DER is malformed or
// a component does not fit.
bool EcdsaDerToP1363(const uint8_t* der, size_t der_len, size_t half, uint8_t* out);

// Builds the DER form of a P1363 signature. False when the length is not exactly 2*half: such a signature is
// simply invalid, and the caller reports "does not verify" rather than an error.
bool EcdsaP1363ToDer(const uint8_t* sig, size_t sig_len, size_t half, std::vector<uint8_t>* der);

}  // namespace strongroom
