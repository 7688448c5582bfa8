// The famous failures, each mapped to what it usually means on a real host.
export interface FailureSite {
  readonly code: string;
  readonly syscall: string;
  readonly path?: string;
}

export function diagnose(e: FailureSite): string | undefined {
  const { code, syscall, path = '' } = e;
  if (syscall === 'pivot_root' && code === 'EINVAL')
    return 'the new root is not a mount point or the root mount is shared: make / MS_REC|MS_PRIVATE and bind-mount the new root onto itself first';
  if (syscall === 'pivot_root' && code === 'EBUSY') return 'put_old is on the same mount as the new root, or something is mounted on it';
  if (syscall === 'write' && /\/(uid|gid)_map$/.test(path) && code === 'EPERM')
    return 'the id map was refused: unprivileged user namespaces may be restricted (kernel.apparmor_restrict_unprivileged_userns on Ubuntu 24.04), or setgroups was not denied before gid_map';
  if (syscall === 'clone' && code === 'EPERM')
    return 'creating namespaces needs root (CAP_SYS_ADMIN), or unprivileged user namespaces are disabled';
  if (syscall === 'clone' && code === 'ENOSPC') return 'the namespace limit in /proc/sys/user/max_*_namespaces is reached';
  if (code === 'ENOENT' && path.startsWith('/sys/fs/cgroup/cpu')) return 'the host is on cgroup v2: there is no separate cpu hierarchy';
  if (syscall === 'mount' && code === 'EPERM') return 'mounting needs CAP_SYS_ADMIN in the namespace that owns the mount namespace';
  if (syscall === 'mount' && code === 'ENODEV') return 'this kernel does not know that file system type';
  if (syscall === 'sethostname' && code === 'EPERM') return 'only a process with CAP_SYS_ADMIN over the UTS namespace may set its hostname';
  if (syscall === 'setns' && code === 'EINVAL') return 'a multi-threaded process cannot join a mount or user namespace, or the file is not a namespace';
  if (syscall === 'execve' && code === 'ENOENT') return 'the program (or its ELF interpreter) does not exist inside the container root';
  return undefined;
}
