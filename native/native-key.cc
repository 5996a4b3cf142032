// NativeKey methods: argument checking (types, modes, sizes) and dispatch to pkey-ops / pkey-worker.
// Messages name the problem only; they never include key or payload bytes.
#include "native-key.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cstring>
#include <string>
#include <utility>

#include "pkey-worker.h"

namespace strongroom {
namespace {

struct ByteView {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

bool ReadBytes(const Napi::Value& value, ByteView* view) {
  if (!value.IsTypedArray()) return false;
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array) return false;
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  view->data = bytes.Data();
  view->size = bytes.ByteLength();
  return true;
}

bool ReadInt(const Napi::Value& value, int* out) {
  if (!value.IsNumber()) return false;
  *out = value.As<Napi::Number>().Int32Value();
  return true;
}

Napi::Value ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowFailed(Napi::Env env) {
  OperationFailedError(env).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The arguments of signDigest / signDigestAsync: (mode, digest, value: Uint8Array), all checked.
struct SignArguments {
  int mode = 0;
  int digest = 0;
  ByteView value;
};

bool ReadSignArguments(const Napi::CallbackInfo& info, SignArguments* args) {
  return info.Length() == 3 && ReadInt(info[0], &args->mode) && ReadInt(info[1], &args->digest) &&
         ReadBytes(info[2], &args->value) && IsValidSignMode(args->mode) && IsValidDigestId(args->digest) &&
         args->value.size > 0 && args->value.size <= kMaxInputBytes;
}

// The arguments of rsaDecrypt / rsaDecryptAsync: (padding, oaepDigest, ciphertext: Uint8Array). The
// ciphertext size is checked by the callers, because an oversized one is an operation failure, not a misuse.
struct DecryptArguments {
  int padding = 0;
  int digest = 0;
  ByteView ciphertext;
};

bool ReadDecryptArguments(const Napi::CallbackInfo& info, DecryptArguments* args) {
  return info.Length() == 3 && ReadInt(info[0], &args->padding) && ReadInt(info[1], &args->digest) &&
         ReadBytes(info[2], &args->ciphertext) && args->padding >= 0 && args->padding <= 1 &&
         IsValidDigestId(args->digest);
}

EVP_PKEY* ParseKey(const ByteView& der, const std::string& format) {
  const unsigned char* cursor = der.data;
  const long length = static_cast<long>(der.size);
  EVP_PKEY* pkey = nullptr;
  if (format == "pkcs8") {
    pkey = d2i_AutoPrivateKey(nullptr, &cursor, length);
  } else if (format == "spki") {
    pkey = d2i_PUBKEY(nullptr, &cursor, length);
  }
  // Trailing bytes mean the caller handed over something other than exactly one key.
  if (pkey != nullptr && cursor != der.data + der.size) {
    EVP_PKEY_free(pkey);
    pkey = nullptr;
  }
  ERR_clear_error();
  return pkey;
}

}  // namespace

Napi::Function NativeKey::Define(Napi::Env env) {
  return DefineClass(env, "NativeKey",
                     {
                         InstanceMethod<&NativeKey::SignDigest>("signDigest"),
                         InstanceMethod<&NativeKey::SignDigestAsync>("signDigestAsync"),
                         InstanceMethod<&NativeKey::VerifyDigest>("verifyDigest"),
                         InstanceMethod<&NativeKey::RsaDecrypt>("rsaDecrypt"),
                         InstanceMethod<&NativeKey::RsaDecryptAsync>("rsaDecryptAsync"),
                         InstanceAccessor<&NativeKey::IsPrivate>("isPrivate"),
                     });
}

NativeKey::NativeKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeKey>(info) {
  Napi::Env env = info.Env();
  ByteView der;
  if (info.Length() != 2 || !ReadBytes(info[0], &der) || !info[1].IsString()) {
    ThrowType(env, "NativeKey expects (der: Uint8Array, format: 'pkcs8' | 'spki')");
    return;
  }
  const std::string format = info[1].As<Napi::String>().Utf8Value();
  pkey_ = ParseKey(der, format);
  if (pkey_ == nullptr || !DescribeKey(pkey_, &shape_)) {
    ThrowType(env, "NativeKey: the DER is not a supported RSA or EC key in the stated format");
    return;
  }
  is_private_ = format == "pkcs8";
}

NativeKey::~NativeKey() {
  EVP_PKEY_CTX_free(sign_ctx_);
  EVP_PKEY_free(pkey_);  // worker threads hold their own references
}

EVP_PKEY_CTX* NativeKey::CachedSignContext(SignMode mode, DigestId digest) {
  if (sign_ctx_ != nullptr && sign_ctx_mode_ == mode && sign_ctx_digest_ == digest) return sign_ctx_;
  EVP_PKEY_CTX_free(sign_ctx_);
  sign_ctx_ = NewSignContext(pkey_, mode, digest);
  sign_ctx_mode_ = mode;
  sign_ctx_digest_ = digest;
  return sign_ctx_;
}

// signDigest(mode: number, digest: number, value: Uint8Array): Buffer
Napi::Value NativeKey::SignDigest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SignArguments args;
  if (!ReadSignArguments(info, &args)) return ThrowType(env, "signDigest expects (mode, digest, value: Uint8Array)");
  if (pkey_ == nullptr || !is_private_) return ThrowType(env, "signDigest needs a private key");
  const auto mode = static_cast<SignMode>(args.mode);
  EVP_PKEY_CTX* ctx = CachedSignContext(mode, static_cast<DigestId>(args.digest));
  SecureBytes signature;
  if (ctx == nullptr || !SignWithContext(ctx, shape_, mode, args.value.data, args.value.size, &signature)) {
    return ThrowFailed(env);
  }
  return Napi::Buffer<uint8_t>::Copy(env, signature.data(), signature.size());
}

// signDigestAsync(mode, digest, value): Promise<Buffer>, computed on the libuv thread pool.
Napi::Value NativeKey::SignDigestAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SignArguments args;
  if (!ReadSignArguments(info, &args)) {
    return ThrowType(env, "signDigestAsync expects (mode, digest, value: Uint8Array)");
  }
  if (pkey_ == nullptr || !is_private_) return ThrowType(env, "signDigestAsync needs a private key");
  // The input is copied: the caller's buffer may change before the worker runs.
  PkeyJob job{PkeyJob::Kind::kSign, args.mode, args.digest, SecureBytes(args.value.data, args.value.size)};
  return QueuePkeyJob(env, pkey_, shape_, std::move(job));
}

// verifyDigest(mode, digest, value, signature, pssSaltLength = -1): boolean. Never throws for a bad
// signature. pssSaltLength -1 means "hash length" (JWA PS*); other values exist for test vectors.
Napi::Value NativeKey::VerifyDigest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int mode = 0;
  int digest = 0;
  int salt_length = kPssSaltDigestLength;
  ByteView value;
  ByteView signature;
  const bool has_salt = info.Length() == 5 && !info[4].IsUndefined();
  if (info.Length() < 4 || info.Length() > 5 || !ReadInt(info[0], &mode) || !ReadInt(info[1], &digest) ||
      !ReadBytes(info[2], &value) || !ReadBytes(info[3], &signature) || !IsValidSignMode(mode) ||
      !IsValidDigestId(digest) || value.size > kMaxInputBytes || (has_salt && !ReadInt(info[4], &salt_length)) ||
      salt_length < kPssSaltDigestLength || salt_length > static_cast<int>(kMaxInputBytes)) {
    return ThrowType(env, "verifyDigest expects (mode, digest, value, signature[, pssSaltLength])");
  }
  if (pkey_ == nullptr) return ThrowType(env, "verifyDigest: key not initialised");
  const bool valid = signature.size <= kMaxInputBytes && value.size > 0 &&
                     strongroom::VerifyDigest(pkey_, shape_, static_cast<SignMode>(mode),
                                              static_cast<DigestId>(digest), value.data, value.size,
                                              signature.data, signature.size, salt_length);
  return Napi::Boolean::New(env, valid);
}

// rsaDecrypt(padding: number, oaepDigest: number, ciphertext: Uint8Array): Buffer
Napi::Value NativeKey::RsaDecrypt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DecryptArguments args;
  if (!ReadDecryptArguments(info, &args)) {
    return ThrowType(env, "rsaDecrypt expects (padding, oaepDigest, ciphertext: Uint8Array)");
  }
  if (pkey_ == nullptr || !is_private_) return ThrowType(env, "rsaDecrypt needs a private key");
  SecureBytes plaintext;
  if (args.ciphertext.size > kMaxInputBytes ||
      !strongroom::RsaDecrypt(pkey_, shape_, static_cast<RsaPadding>(args.padding), static_cast<DigestId>(args.digest),
                              args.ciphertext.data, args.ciphertext.size, &plaintext)) {
    return ThrowFailed(env);
  }
  return Napi::Buffer<uint8_t>::Copy(env, plaintext.data(), plaintext.size());
}

// rsaDecryptAsync(padding, oaepDigest, ciphertext): Promise<Buffer>, on the libuv thread pool.
Napi::Value NativeKey::RsaDecryptAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DecryptArguments args;
  if (!ReadDecryptArguments(info, &args)) {
    return ThrowType(env, "rsaDecryptAsync expects (padding, oaepDigest, ciphertext: Uint8Array)");
  }
  if (pkey_ == nullptr || !is_private_) return ThrowType(env, "rsaDecryptAsync needs a private key");
  if (args.ciphertext.size > kMaxInputBytes) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(OperationFailedError(env).Value());
    return deferred.Promise();
  }
  PkeyJob job{PkeyJob::Kind::kDecrypt, args.padding, args.digest,
              SecureBytes(args.ciphertext.data, args.ciphertext.size)};
  return QueuePkeyJob(env, pkey_, shape_, std::move(job));
}

Napi::Value NativeKey::IsPrivate(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), is_private_);
}

}  // namespace strongroom
