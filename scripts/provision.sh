#!/usr/bin/env bash
# nslab provisioning: installs what the labs need on a Debian-family system.
#
#   sudo scripts/provision.sh            install packages, npm ci, nslab doctor
#   sudo scripts/provision.sh --no-npm   packages only (CI does this)
#        scripts/provision.sh --check    report what is missing, install nothing
#                                        (exit 0 = all present, 1 = something missing)
#
# Idempotent: a second run installs nothing and says so.  apt-get is only
# called when a package is actually missing.
#
# Environment:
#   NSLAB_CGROUP=v1|v2   wanted cgroup mode.  Acted on only inside the Vagrant
#                        VM (NSLAB_IN_VAGRANT=1, set by the Vagrantfile): edits
#                        GRUB_CMDLINE_LINUX in /etc/default/grub, runs
#                        update-grub and leaves /var/lib/nslab/reboot-required
#                        for the Vagrantfile's reboot trigger.  Grub is never
#                        touched outside the VM.
#   NSLAB_IN_VAGRANT=1   also installs /usr/local/bin/nslab (a wrapper around
#                        bin/nslab.js) so `vagrant ssh -c "sudo nslab"` works.
#   NSLAB_SYSROOT=DIR    tests only: prefix for /etc/default/grub,
#                        /boot/grub/grub.cfg, /var/lib/nslab and /usr/local/bin.
set -euo pipefail

MIN_NODE_MAJOR=20
PACKAGES=(
  build-essential libc6-dev cmake python3      # addon + static probe
  iproute2 iputils-ping util-linux procps psmisc # ip, ping, unshare/nsenter/mount, ps, fuser
  e2fsprogs dmsetup kmod                        # mkfs.ext4, device-mapper, modprobe
  tmux strace                                   # TUI test; the addon test that makes waitpid fail
  coreutils bash dash grep hostname libc-bin mount tar  # the basic tools labs show (essential on Debian, named anyway)
  qemu-system-x86 busybox-static                # VM runner
)

usage() {
  cat <<'EOF'
usage: sudo scripts/provision.sh [--no-npm]
       scripts/provision.sh --check

  --no-npm   install system packages only (skip npm ci and nslab doctor)
  --check    list what is missing and exit 1, or print "all present" and
             exit 0; installs nothing
EOF
}

MODE=install
RUN_NPM=1
for arg in "$@"; do
  case "$arg" in
    --no-npm) RUN_NPM=0 ;;
    --check) MODE=check ;;
    -h|--help) usage; exit 0 ;;
    *) echo "provision.sh: unknown option: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
SYSROOT=${NSLAB_SYSROOT:-}
GRUB_DEFAULT_FILE="$SYSROOT/etc/default/grub"
GRUB_CFG="$SYSROOT/boot/grub/grub.cfg"
STATE_DIR="$SYSROOT/var/lib/nslab"
REBOOT_FLAG="$STATE_DIR/reboot-required"
WRAPPER="$SYSROOT/usr/local/bin/nslab"
CGROUP_V1_ARG="systemd.unified_cgroup_hierarchy=0"
# systemd >= 256 refuses to boot on cgroup v1 without this as well.
CGROUP_V1_FORCE_ARG="SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"

header() { printf '\n== %s ==\n' "$*"; }
say() { printf '  %s\n' "$*"; }
die() { printf 'provision.sh: error: %s\n' "$*" >&2; exit 1; }

is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# Major version of the node on PATH, 0 if there is none.
node_major() {
  local v
  v=$(node --version 2>/dev/null || true)
  v=${v#v}
  v=${v%%.*}
  if [[ $v =~ ^[0-9]+$ ]]; then echo "$v"; else echo 0; fi
}

# Major version of a Debian version string such as 1:20.19.2+dfsg-1.
deb_major() {
  local v=${1#*:}
  v=${v%%.*}
  if [[ $v =~ ^[0-9]+$ ]]; then echo "$v"; else echo 0; fi
}

# Does the first (default) kernel entry of grub.cfg boot in cgroup mode $1?
grub_cfg_wants() {
  local first
  [ -f "$GRUB_CFG" ] || return 1
  first=$(grep -m1 -E '^[[:space:]]*linux[[:space:]]' "$GRUB_CFG" || true)
  [ -n "$first" ] || return 1
  if [ "$1" = v1 ]; then
    [[ " $first " == *" $CGROUP_V1_ARG "* ]]
  else
    [[ " $first " != *" systemd.unified_cgroup_hierarchy="* ]]
  fi
}

# v2 when /sys/fs/cgroup is the unified hierarchy only, v1 otherwise
# (legacy and hybrid both count as v1: systemd.unified_cgroup_hierarchy=0
# boots Debian 12 in hybrid mode, the v1 controllers plus systemd's cgroup2).
cgroup_mode() {
  if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null || true)" = cgroup2fs ]; then echo v2; else echo v1; fi
}

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    say "apt-get update"
    apt-get update -q
    APT_UPDATED=1
  fi
}

apt_install() {
  say "Installing: $*"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
  INSTALLED+=("$@")
}

# --------------------------------------------------------------------------
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  die "this script needs a Debian-family system (dpkg-query and apt-get were not found)."
fi

MISSING=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || MISSING+=("$p")
done

if [ "$MODE" = check ]; then
  have=$(node --version 2>/dev/null || echo none)
  if [ "$(node_major)" -lt "$MIN_NODE_MAJOR" ]; then
    MISSING+=("nodejs>=$MIN_NODE_MAJOR (found: $have)")
  fi
  if [ "${#MISSING[@]}" -eq 0 ]; then
    echo "all present: ${#PACKAGES[@]} packages, node $have"
    exit 0
  fi
  echo "missing (${#MISSING[@]}):"
  printf '  %s\n' "${MISSING[@]}"
  exit 1
fi

[ "$(id -u)" -eq 0 ] || die "run as root: sudo $0 $*"

INSTALLED=()
CHANGED=()

header "System packages"
if [ "${#MISSING[@]}" -gt 0 ]; then
  apt_install "${MISSING[@]}"
  for p in "${MISSING[@]}"; do
    is_installed "$p" || die "package $p is still not installed after apt-get install."
  done
else
  say "all ${#PACKAGES[@]} packages present"
fi

header "Node.js >= $MIN_NODE_MAJOR"
if [ "$(node_major)" -ge "$MIN_NODE_MAJOR" ]; then
  say "node $(node --version) at $(command -v node)"
else
  have=$(node --version 2>/dev/null || echo none)
  say "node on PATH: $have; asking apt for Debian's nodejs"
  apt_update_once
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  candidate=${candidate:-"(none)"}
  if [ "$candidate" != "(none)" ] && [ "$(deb_major "$candidate")" -ge "$MIN_NODE_MAJOR" ]; then
    apt_install nodejs npm
    hash -r
    [ "$(node_major)" -ge "$MIN_NODE_MAJOR" ] || die "installed Debian's nodejs $candidate but 'node --version' still reports $(node --version 2>/dev/null || echo none)."
    say "node $(node --version)"
  elif [ "$candidate" != "(none)" ]; then
    # Debian's own Node.js is older (bookworm has 18): take its npm, and let npm install the
    # Node.js $MIN_NODE_MAJOR binary that the npm registry ships (package node@$MIN_NODE_MAJOR).
    say "Debian offers nodejs $candidate only; installing node@$MIN_NODE_MAJOR from the npm registry"
    apt_install nodejs npm
    hash -r
    npm install -g --no-audit --no-fund "node@$MIN_NODE_MAJOR"
    hash -r
    [ "$(node_major)" -ge "$MIN_NODE_MAJOR" ] || die "installed node@$MIN_NODE_MAJOR with npm but 'node --version' still reports $(node --version 2>/dev/null || echo none); put /usr/local/bin first on PATH."
    say "node $(node --version)"
  else
    die "nslab needs Node.js >= $MIN_NODE_MAJOR but this system has $have and apt offers no nodejs, so install Node.js $MIN_NODE_MAJOR or newer yourself (for example from NodeSource's Debian packages) and run this script again."
  fi
fi
if [ "$RUN_NPM" = 1 ] && ! command -v npm >/dev/null 2>&1; then
  die "node $(node --version) has no npm next to it, so install npm for it (or re-run with --no-npm)."
fi

if [ "${NSLAB_IN_VAGRANT:-}" = 1 ]; then
  header "Vagrant VM"
  wrapper_text="#!/bin/sh
# Installed by nslab scripts/provision.sh: run the nslab CLI from the synced checkout.
exec node $REPO_ROOT/bin/nslab.js \"\$@\"
"
  if [ -f "$WRAPPER" ] && [ "$(cat "$WRAPPER")"$'\n' = "$wrapper_text" ] && [ -x "$WRAPPER" ]; then
    say "/usr/local/bin/nslab wrapper present"
  else
    mkdir -p "$(dirname "$WRAPPER")"
    printf '%s' "$wrapper_text" >"$WRAPPER"
    chmod 0755 "$WRAPPER"
    CHANGED+=("/usr/local/bin/nslab")
    say "installed /usr/local/bin/nslab -> node $REPO_ROOT/bin/nslab.js"
  fi
fi

# --------------------------------------------------------------------------
if [ -n "${NSLAB_CGROUP:-}" ]; then
  header "cgroup mode"
  case "$NSLAB_CGROUP" in
    v1|v2) ;;
    *) die "NSLAB_CGROUP must be v1 or v2, not '$NSLAB_CGROUP'." ;;
  esac
  current=$(cgroup_mode)
  say "booted in cgroup $current, wanted $NSLAB_CGROUP"
  if [ "$current" = "$NSLAB_CGROUP" ]; then
    rm -f "$REBOOT_FLAG"
  elif [ "${NSLAB_IN_VAGRANT:-}" != 1 ]; then
    say "not changing the boot configuration outside the Vagrant VM (NSLAB_IN_VAGRANT=1);"
    if [ "$NSLAB_CGROUP" = v1 ]; then
      say "to switch yourself: add $CGROUP_V1_ARG to GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot"
    else
      say "to switch yourself: remove systemd.unified_cgroup_hierarchy=... from GRUB_CMDLINE_LINUX in /etc/default/grub, update-grub, reboot"
    fi
  else
    [ -f "$GRUB_DEFAULT_FILE" ] || die "cannot switch to cgroup $NSLAB_CGROUP: $GRUB_DEFAULT_FILE does not exist (this box does not boot with GRUB)."
    command -v update-grub >/dev/null 2>&1 || die "cannot switch to cgroup $NSLAB_CGROUP: update-grub is not installed."
    line=$(grep -E '^GRUB_CMDLINE_LINUX=' "$GRUB_DEFAULT_FILE" | tail -n1 || true)
    value=${line#GRUB_CMDLINE_LINUX=}
    case "$value" in
      \"*\") value=${value#\"}; value=${value%\"} ;;
      \'*\') value=${value#\'}; value=${value%\'} ;;
    esac
    read -r -a old_words <<<"$value" || true
    words=()
    for w in ${old_words[@]+"${old_words[@]}"}; do
      case "$w" in
        systemd.unified_cgroup_hierarchy=*|systemd.legacy_systemd_cgroup_controller=*|SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=*) ;;
        *) words+=("$w") ;;
      esac
    done
    if [ "$NSLAB_CGROUP" = v1 ]; then
      words+=("$CGROUP_V1_ARG")
      sd=$(systemctl --version 2>/dev/null | awk 'NR==1 {print $2}' || true)
      sd=${sd%%.*}
      if [[ $sd =~ ^[0-9]+$ ]] && [ "$sd" -ge 256 ]; then
        words+=("$CGROUP_V1_FORCE_ARG")
      fi
    fi
    new_value="${words[*]:-}"
    grub_changed=0
    if [ -n "$line" ] && [ "$value" = "$new_value" ]; then
      say "$GRUB_DEFAULT_FILE already asks for cgroup $NSLAB_CGROUP"
    else
      [ -e "$GRUB_DEFAULT_FILE.nslab-bak" ] || cp -p "$GRUB_DEFAULT_FILE" "$GRUB_DEFAULT_FILE.nslab-bak"
      tmp=$(mktemp "$GRUB_DEFAULT_FILE.XXXXXX")
      grep -vE '^GRUB_CMDLINE_LINUX=' "$GRUB_DEFAULT_FILE" >"$tmp" || true
      printf 'GRUB_CMDLINE_LINUX="%s"\n' "$new_value" >>"$tmp"
      chmod --reference="$GRUB_DEFAULT_FILE" "$tmp"
      mv "$tmp" "$GRUB_DEFAULT_FILE"
      say "GRUB_CMDLINE_LINUX=\"$new_value\" (original kept as $GRUB_DEFAULT_FILE.nslab-bak)"
      CHANGED+=("$GRUB_DEFAULT_FILE")
      grub_changed=1
    fi
    if [ "$grub_changed" = 1 ] || ! grub_cfg_wants "$NSLAB_CGROUP"; then
      update-grub
      grub_cfg_wants "$NSLAB_CGROUP" \
        || die "update-grub ran but the default entry in $GRUB_CFG does not boot in cgroup $NSLAB_CGROUP (does a file in /etc/default/grub.d/ override GRUB_CMDLINE_LINUX?)."
    fi
    mkdir -p "$STATE_DIR"
    echo "cgroup $NSLAB_CGROUP" >"$REBOOT_FLAG"
    say "REBOOT REQUIRED to boot in cgroup $NSLAB_CGROUP (vagrant reboots the VM once; otherwise run: vagrant reload)"
  fi
fi

# --------------------------------------------------------------------------
if [ "$RUN_NPM" = 1 ]; then
  header "npm dependencies"
  cd "$REPO_ROOT"
  if [ ! -d node_modules ] || [ ! -e node_modules/.package-lock.json ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci
    CHANGED+=("node_modules")
  else
    say "node_modules is up to date with package-lock.json"
  fi

  header "nslab doctor"
  # Per-lab readiness report; informative only, never fails provisioning.
  # --no: run this checkout's own bin, never fetch a package from the registry.
  npx --no nslab doctor || say "(nslab doctor exited $?; see above)"
fi

header "Summary"
if [ "${#INSTALLED[@]}" -eq 0 ] && [ "${#CHANGED[@]}" -eq 0 ]; then
  say "everything is present: nothing to install"
else
  [ "${#INSTALLED[@]}" -eq 0 ] || say "installed: ${INSTALLED[*]}"
  [ "${#CHANGED[@]}" -eq 0 ] || say "updated: ${CHANGED[*]}"
fi
if [ -e "$REBOOT_FLAG" ]; then
  say "a reboot is still required (flag: $REBOOT_FLAG)"
fi
