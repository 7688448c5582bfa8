// Argument marshalling for spawn(): the JavaScript spec object becomes a struct nslab_plan
// (child.h) whose strings and arrays this Plan owns. Everything that can throw or allocate
// happens here, before the clone.
#pragma once
#include <napi.h>

#include <deque>
#include <string>
#include <vector>

#include "child.h"

namespace nslab {

/** A spawn spec, parsed. `raw` points into the members; a Plan is neither copied nor moved. */
struct Plan {
  nslab_plan raw{};
  bool sync = false;  // a wait action is coming: create the sync pipe

  Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<nslab_action> actions;
  std::deque<std::string> strings;  // owns every char* above

  const char* Keep(const std::string& s);
};

/**
 * Fills `plan` from spawn()'s spec ({flags, file, argv, env, stdio, actions, sync, pdeathsig};
 * see native.d.ts). Throws a TypeError or RangeError for a malformed spec. Creates no fd:
 * raw.stdio_child of a pipe, raw.err_w and raw.sync_r are the caller's to fill.
 */
void Marshal(Napi::Env env, const Napi::Object& spec, Plan& plan);

}  // namespace nslab
