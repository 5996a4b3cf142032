// NativeKey: one parsed OpenSSL key (EVP_PKEY) held by a JavaScript object for its whole life, so that key
// parsing happens once per key instead of once per request. Freed by the garbage collector's finalizer.
#pragma once

#include <napi.h>
#include <openssl/evp.h>

#include "pkey-ops.h"

namespace strongroom {

class NativeKey : public Napi::ObjectWrap<NativeKey> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new NativeKey(der: Uint8Array, format: 'pkcs8' | 'spki')
  explicit NativeKey(const Napi::CallbackInfo& info);
  ~NativeKey() override;
  NativeKey(const NativeKey&) = delete;
  NativeKey& operator=(const NativeKey&) = delete;

 private:
  Napi::Value SignDigest(const Napi::CallbackInfo& info);
  Napi::Value SignDigestAsync(const Napi::CallbackInfo& info);
  Napi::Value VerifyDigest(const Napi::CallbackInfo& info);
  Napi::Value RsaDecrypt(const Napi::CallbackInfo& info);
  Napi::Value RsaDecryptAsync(const Napi::CallbackInfo& info);
  Napi::Value IsPrivate(const Napi::CallbackInfo& info);

  // Main-thread signing context, reused while the same (mode, digest) keeps being asked for. Only the
  // synchronous path uses it: worker threads build their own contexts and never touch this one.
  EVP_PKEY_CTX* CachedSignContext(SignMode mode, DigestId digest);

  EVP_PKEY* pkey_ = nullptr;
  KeyShape shape_{};
  bool is_private_ = false;
  EVP_PKEY_CTX* sign_ctx_ = nullptr;
  SignMode sign_ctx_mode_ = SignMode::kEcdsa;
  DigestId sign_ctx_digest_ = DigestId::kNone;
};

}  // namespace strongroom
