#pragma once
#include <napi.h>

namespace nslab {
// Ownership primitives for runner/core: advisory locks that die with their holder, a rename
// that never replaces, and a check that a path resolves beneath a directory without symlinks.
Napi::Value Flock(const Napi::CallbackInfo& info);
Napi::Value RenameNoReplace(const Napi::CallbackInfo& info);
Napi::Value ResolveBeneath(const Napi::CallbackInfo& info);
}  // namespace nslab
