// Napi::AsyncWorker glue for PkeyJob. Execute() runs off the main thread and must not touch JS values.
#include "pkey-worker.h"

#include <utility>

namespace strongroom {
namespace {

class PkeyWorker : public Napi::AsyncWorker {
 public:
  PkeyWorker(Napi::Env env, EVP_PKEY* pkey, const KeyShape& shape, PkeyJob job)
      : Napi::AsyncWorker(env, "strongroom:pkey"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pkey_(pkey),
        shape_(shape),
        job_(std::move(job)) {
    EVP_PKEY_up_ref(pkey_);
  }
  ~PkeyWorker() override { EVP_PKEY_free(pkey_); }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    const bool ok =
        job_.kind == PkeyJob::Kind::kSign
            ? SignDigest(pkey_, shape_, static_cast<SignMode>(job_.mode), static_cast<DigestId>(job_.digest),
                         job_.input.data(), job_.input.size(), &output_)
            : RsaDecrypt(pkey_, shape_, static_cast<RsaPadding>(job_.mode), static_cast<DigestId>(job_.digest),
                         job_.input.data(), job_.input.size(), &output_);
    if (!ok) SetError("failed");
  }

  void OnOK() override {
    deferred_.Resolve(Napi::Buffer<uint8_t>::Copy(Env(), output_.data(), output_.size()));
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(OperationFailedError(Env()).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  EVP_PKEY* pkey_;
  KeyShape shape_;
  PkeyJob job_;
  SecureBytes output_;
};

}  // namespace

Napi::Error OperationFailedError(Napi::Env env) {
  Napi::Error error = Napi::Error::New(env, "The native cryptographic operation failed.");
  error.Set("code", Napi::String::New(env, "ERR_STRONGROOM_NATIVE_OPERATION"));
  return error;
}

Napi::Promise QueuePkeyJob(Napi::Env env, EVP_PKEY* pkey, const KeyShape& shape, PkeyJob job) {
  auto* worker = new PkeyWorker(env, pkey, shape, std::move(job));  // deletes itself when settled
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace strongroom
