// A byte buffer that wipes itself when it goes away.
//
// Every buffer the addon allocates for signatures, digests or plaintext goes through this type so that
// no copy of sensitive bytes outlives the call in freed heap memory (OPENSSL_cleanse cannot be optimised out).
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace strongroom {

class SecureBytes {
 public:
  SecureBytes() = default;
  explicit SecureBytes(size_t size) : bytes_(size) {}
  SecureBytes(const uint8_t* data, size_t size) : bytes_(data, data + size) {}
  SecureBytes(const SecureBytes&) = delete;
  SecureBytes& operator=(const SecureBytes&) = delete;
  SecureBytes(SecureBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {}
  SecureBytes& operator=(SecureBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      bytes_ = std::move(other.bytes_);
    }
    return *this;
  }
  ~SecureBytes() { Wipe(); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }

  // Allocates exactly `size` bytes once; never grows in place (growth would leave unwiped copies behind).
  void Allocate(size_t size) {
    Wipe();
    bytes_ = std::vector<uint8_t>(size);
  }

  // Shrinks to the length an OpenSSL call actually produced, wiping the tail first.
  void Truncate(size_t size) {
    if (size < bytes_.size()) {
      OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
      bytes_.resize(size);
    }
  }

 private:
  void Wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }

  std::vector<uint8_t> bytes_;
};

}  // namespace strongroom
