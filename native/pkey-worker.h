// Runs an RSA private-key operation on the libuv thread pool and settles a Promise with the result, so that
// a 2-20 ms RSA operation does not stall the event loop for every other request.
#pragma once

#include <napi.h>
#include <openssl/evp.h>

#include "pkey-ops.h"
#include "secure-bytes.h"

namespace strongroom {

struct PkeyJob {
  enum class Kind { kSign, kDecrypt } kind;
  int mode;    // SignMode for kSign, RsaPadding for kDecrypt
  int digest;  // DigestId
  SecureBytes input;
};

// Takes its own reference on `pkey`, so the job stays valid even if the NativeKey is collected meanwhile.
Napi::Promise QueuePkeyJob(Napi::Env env, EVP_PKEY* pkey, const KeyShape& shape, PkeyJob job);

// The error every native failure is reported with: a fixed message and code, never OpenSSL's text.
Napi::Error OperationFailedError(Napi::Env env);

}  // namespace strongroom
