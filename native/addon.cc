// Entry point of strongroom_crypto.node: exports the NativeKey class and the numeric codes its methods take.
//
// Why this addon exists: Node's crypto signs and verifies messages (it always hashes), while Key Vault signs
// caller-supplied digests. OpenSSL can do that (EVP_PKEY_sign / EVP_PKEY_verify with a signature hash set),
// Node just does not expose it; RSA decryption is also only synchronous in Node. See docs/crypto.md.
// It also maps the node's change beacon into memory (shared-memory.cc), the one other thing Node cannot do.
#include <napi.h>
#include <openssl/crypto.h>

#include "native-key.h"
#include "pkey-ops.h"
#include "shared-memory.h"

namespace strongroom {
namespace {

void SetInt(Napi::Env env, Napi::Object target, const char* name, int value) {
  target.Set(name, Napi::Number::New(env, value));
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object constants = Napi::Object::New(env);
  SetInt(env, constants, "SIGN_ECDSA", static_cast<int>(SignMode::kEcdsa));
  SetInt(env, constants, "SIGN_RSA_PKCS1", static_cast<int>(SignMode::kRsaPkcs1));
  SetInt(env, constants, "SIGN_RSA_PKCS1_RAW", static_cast<int>(SignMode::kRsaPkcs1Raw));
  SetInt(env, constants, "SIGN_RSA_PSS", static_cast<int>(SignMode::kRsaPss));
  SetInt(env, constants, "DIGEST_NONE", static_cast<int>(DigestId::kNone));
  SetInt(env, constants, "DIGEST_SHA1", static_cast<int>(DigestId::kSha1));
  SetInt(env, constants, "DIGEST_SHA256", static_cast<int>(DigestId::kSha256));
  SetInt(env, constants, "DIGEST_SHA384", static_cast<int>(DigestId::kSha384));
  SetInt(env, constants, "DIGEST_SHA512", static_cast<int>(DigestId::kSha512));
  SetInt(env, constants, "RSA_PADDING_PKCS1", static_cast<int>(RsaPadding::kPkcs1));
  SetInt(env, constants, "RSA_PADDING_OAEP", static_cast<int>(RsaPadding::kOaep));
  return constants;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeKey", NativeKey::Define(env));
  exports.Set("constants", Constants(env));
  exports.Set("opensslVersion", Napi::String::New(env, OpenSSL_version(OPENSSL_VERSION)));
  exports.Set("implicitRejection", Napi::Boolean::New(env, RuntimeHasImplicitRejection()));
  exports.Set("mapShared", Napi::Function::New(env, MapShared, "mapShared"));
  return exports;
}

}  // namespace strongroom

// NODE_API_MODULE needs a plain identifier.
static Napi::Object InitStrongroomCrypto(Napi::Env env, Napi::Object exports) {
  return strongroom::Init(env, exports);
}

NODE_API_MODULE(strongroom_crypto, InitStrongroomCrypto)
