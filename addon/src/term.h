#pragma once
#include <napi.h>

namespace nslab {
Napi::Value ReclaimTerminal(const Napi::CallbackInfo& info);
}  // namespace nslab
