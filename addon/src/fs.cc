// flock(fd, exclusive, wait): true when taken, false when another holder has it (nonblocking).
// renameNoReplace(from, to): renameat2(RENAME_NOREPLACE); EEXIST when `to` exists.
// resolveBeneath(root, rel): opens `rel` under `root` with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
//   RESOLVE_NO_MAGICLINKS (openat2), so an escape by `..` or a symlink anywhere on the way, the
//   last component included, is refused (ELOOP); kernels without openat2 get the same rules
//   component by component. Mounts below root are crossed: they are the run's own.
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors.h"

namespace nslab {
namespace {

int Openat2(int dirfd, const char* path, int flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

/** Walk `rel` one component at a time with O_NOFOLLOW, refusing "..", "." and mount crossings. */
int WalkBeneath(int rootfd, const std::string& rel) {
  int fd = dup(rootfd);
  if (fd < 0) return -1;
  size_t pos = 0;
  while (pos <= rel.size()) {
    size_t slash = rel.find('/', pos);
    std::string part = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    pos = slash == std::string::npos ? rel.size() + 1 : slash + 1;
    if (part.empty()) continue;
    if (part == "." || part == "..") {
      close(fd);
      errno = EXDEV;
      return -1;
    }
    int next = openat(fd, part.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(fd);
    if (next < 0) {
      errno = err;
      return -1;
    }
    struct stat st;
    if (fstat(next, &st) < 0 || S_ISLNK(st.st_mode)) {
      close(next);
      errno = ELOOP;
      return -1;
    }
    fd = next;
  }
  return fd;
}

}  // namespace

Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  bool exclusive = info[1].ToBoolean();
  bool wait = info[2].ToBoolean();
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  int r;
  do r = flock(fd, op);
  while (r < 0 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  throw SystemError(env, errno, "flock", "fd " + std::to_string(fd));
}

Napi::Value RenameNoReplace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string from = info[0].As<Napi::String>().Utf8Value();
  std::string to = info[1].As<Napi::String>().Utf8Value();
  if (syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) < 0)
    throw SystemError(env, errno, "renameat2", to);
  return env.Undefined();
}

Napi::Value ResolveBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>().Utf8Value();
  std::string rel = info[1].As<Napi::String>().Utf8Value();
  int rootfd = open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootfd < 0) throw SystemError(env, errno, "open", root);
  int fd = Openat2(rootfd, rel.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                   RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) fd = WalkBeneath(rootfd, rel);
  int err = errno;
  struct stat st;
  // O_PATH|O_NOFOLLOW hands back a trailing symlink itself: that is a symlink on the way too.
  if (fd >= 0 && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
    close(fd);
    fd = -1;
    err = ELOOP;
  }
  close(rootfd);
  if (fd < 0) throw SystemError(env, err, "openat2", root + "/" + rel);
  close(fd);
  return env.Undefined();
}

}  // namespace nslab
