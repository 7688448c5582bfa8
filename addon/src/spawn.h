// spawn(): clone() a child into new namespaces, run a prepared list of setup actions in it,
// then execve(). See spawn.cc for the rules the child code follows.
#pragma once
#include <napi.h>

namespace nslab {

/** The setup actions a child can run between clone() and execve(); numbers are ABI with JS. */
enum ActionOp : int {
  kWait = 1,        // block until the parent says go (sync pipe)
  kSetHostname,     // a = name
  kMakePrivate,     // a = path; mount(NULL, a, NULL, MS_REC|MS_PRIVATE)
  kMount,           // a = source, b = target, c = fstype, d = data, n = flags
  kUmount,          // a = target, n = flags
  kMkdir,           // a = path, n = mode (EEXIST is not an error)
  kChroot,          // a = path
  kChdir,           // a = path
  kPivotRoot,       // a = new root, b = put_old
  kSetns,           // a = ns file, n = nstype
  kUnshare,         // n = flags
  kSetgroups,       // drop all supplementary groups
  kSetresgid,       // n = gid
  kSetresuid,       // n = uid
  kFork,            // fork again; the middle process waits and mirrors the exit status
  kWriteFile,       // a = path, b = content, n = 1 to create/truncate
  kMknod,           // a = path, n = mode, m = dev
  kSymlink,         // a = target, b = link path
  kPdeathsig,       // n = signal sent to us when our parent dies
  kSetsid,          // start a new session
  kRmdir,           // a = path
  kDumpable,        // prctl(PR_SET_DUMPABLE, 1): a setresuid() cleared it; lets the new uid open /proc/PID files
  kActionOpEnd
};

/** Failure steps that are not an action index. */
constexpr int kStepExec = -1;
constexpr int kStepStdio = -2;
constexpr int kStepSignals = -3;

Napi::Value Spawn(const Napi::CallbackInfo& info);
Napi::Value WatchExit(const Napi::CallbackInfo& info);

}  // namespace nslab
