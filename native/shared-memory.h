// mapShared(fd, bytes): memory shared among the processes of one node. See shared-memory.cc.
#pragma once
#include <napi.h>

namespace strongroom {

Napi::Value MapShared(const Napi::CallbackInfo& info);

}  // namespace strongroom
