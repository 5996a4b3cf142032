// mapShared(fd: number, bytes: number): ArrayBuffer — the first `bytes` of an open file, mapped MAP_SHARED.
//
// Why: the processes of one node tell each other "I committed" through a few counters in a small file
// (src/storage/change-beacon.ts), read before every cached key read. Reading them with pread costs a system
// call per request (about a tenth of a cheap request in a VM); a shared mapping makes the read a memory load,
// and every process that maps the file (or reads it with pread) sees the same page-cache pages, so the two
// kinds of reader stay coherent. Node has no mmap of its own. The mapping outlives the descriptor and is
// unmapped when the ArrayBuffer is collected.
#include "shared-memory.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace strongroom {

namespace {

void Unmap(Napi::Env /*env*/, void* data, size_t* length) {
  munmap(data, *length);
  delete length;
}

}  // namespace

Napi::Value MapShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "mapShared expects (fd: number, bytes: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int64_t bytes = info[1].As<Napi::Number>().Int64Value();
  struct stat status {};
  if (fd < 0 || bytes <= 0 || bytes > (1 << 20) || fstat(fd, &status) != 0 || status.st_size < bytes) {
    Napi::RangeError::New(env, "mapShared needs an open file at least `bytes` long (at most 1 MiB)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  void* data = mmap(nullptr, static_cast<size_t>(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) {
    Napi::Error::New(env, std::string("mmap failed: ") + std::strerror(errno)).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::ArrayBuffer::New(env, data, static_cast<size_t>(bytes), Unmap, new size_t(static_cast<size_t>(bytes)));
}

}  // namespace strongroom
