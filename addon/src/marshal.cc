// JavaScript spec → struct nslab_plan. The raw actions are generic ({op, a, b, c, d, n, m}:
// actions.def says which fields each op reads), so a new action needs nothing here.
#include "marshal.h"

#include <signal.h>
#include <stdint.h>

namespace nslab {
namespace {

std::string OptString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return std::string();
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool HasKey(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

uint64_t OptNumber(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return 0;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

std::vector<std::string> StringArray(Napi::Env env, Napi::Value v, const char* what) {
  std::vector<std::string> out;
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(what) + " must be an array");
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value item = arr.Get(i);
    if (!item.IsString())
      throw Napi::TypeError::New(env, std::string(what) + " must hold strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

/** A NULL-terminated array of strings kept by the plan. */
void KeepAll(Plan& plan, const std::vector<std::string>& from, std::vector<char*>& to) {
  for (const std::string& s : from) to.push_back(const_cast<char*>(plan.Keep(s)));
  to.push_back(nullptr);
}

nslab_action Action(Plan& plan, const Napi::Object& o) {
  nslab_action a{};
  a.op = static_cast<int>(OptNumber(o, "op"));
  if (a.op <= NSLAB_OP_NONE || a.op >= NSLAB_OP_END)
    throw Napi::RangeError::New(o.Env(), "unknown action op " + std::to_string(a.op));
  if (HasKey(o, "a")) a.a = plan.Keep(OptString(o, "a"));
  if (HasKey(o, "b")) a.b = plan.Keep(OptString(o, "b"));
  if (HasKey(o, "c")) a.c = plan.Keep(OptString(o, "c"));
  if (HasKey(o, "d")) a.d = plan.Keep(OptString(o, "d"));
  a.n = OptNumber(o, "n");
  a.m = OptNumber(o, "m");
  return a;
}

}  // namespace

Plan::Plan() {
  for (int i = 0; i < 3; i++) {
    raw.stdio_mode[i] = NSLAB_STDIO_INHERIT;
    raw.stdio_child[i] = -1;
  }
  raw.err_w = -1;
  raw.sync_r = -1;
  raw.pdeathsig = SIGKILL;
}

const char* Plan::Keep(const std::string& s) {
  strings.push_back(s);
  return strings.back().c_str();
}

void Marshal(Napi::Env env, const Napi::Object& spec, Plan& plan) {
  plan.raw.flags = static_cast<unsigned long>(OptNumber(spec, "flags"));
  plan.raw.file = plan.Keep(OptString(spec, "file"));
  if (plan.strings.back().empty()) throw Napi::TypeError::New(env, "spec.file is required");
  KeepAll(plan, StringArray(env, spec.Get("argv"), "argv"), plan.argv);
  KeepAll(plan, StringArray(env, spec.Get("env"), "env"), plan.envp);
  if (HasKey(spec, "pdeathsig"))
    plan.raw.pdeathsig = static_cast<int>(OptNumber(spec, "pdeathsig"));

  Napi::Value actions = spec.Get("actions");
  if (!actions.IsUndefined()) {
    if (!actions.IsArray()) throw Napi::TypeError::New(env, "actions must be an array");
    Napi::Array arr = actions.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++)
      plan.actions.push_back(Action(plan, arr.Get(i).As<Napi::Object>()));
  }

  Napi::Value stdio = spec.Get("stdio");
  for (int i = 0; i < 3; i++) {
    int mode = NSLAB_STDIO_INHERIT;
    if (stdio.IsArray()) {
      Napi::Value v = stdio.As<Napi::Array>().Get(static_cast<uint32_t>(i));
      if (v.IsNumber()) mode = v.As<Napi::Number>().Int32Value();
    }
    plan.raw.stdio_mode[i] = mode;
    if (mode >= 0) plan.raw.stdio_child[i] = mode;
  }
  plan.sync = spec.Get("sync").ToBoolean();

  // The vectors are complete: only now may the plan point into them.
  plan.raw.argv = plan.argv.data();
  plan.raw.envp = plan.envp.data();
  plan.raw.actions = plan.actions.data();
  plan.raw.n_actions = plan.actions.size();
}

}  // namespace nslab
