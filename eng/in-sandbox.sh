#!/usr/bin/env bash
# Runs a command where TorchSharp can load.
#
# libLibTorchSharp.so needs GLIBCXX_3.4.32 (the libstdc++ of GCC 13+). Hosts that have it
# (Debian 13, Ubuntu 24.04, the .NET 10 container images) run the command directly. Older
# hosts (Debian 12) run it inside a cached Debian 13 userland entered with bubblewrap; the
# host's .NET SDK, NuGet caches, home, /tmp, the repository's parent folder and the Docker
# engine's socket (when there is one) are bound in.
#
#   eng/in-sandbox.sh dotnet test
#
# Environment:
#   DISTATTN_SANDBOX_ROOT   where the Debian 13 userland is cached
#                           (default: ~/.cache/distributed-attention/debian13)
#   DISTATTN_SANDBOX=always|never   force or skip the sandbox (default: when needed)
#   DISTATTN_SANDBOX_PACKAGES       extra Debian 13 packages the userland must have
#                                   (e.g. "python3-safetensors python3-numpy redis-server"; needs
#                                   root; services they ship are not started)
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

needs_sandbox() {
  case "${DISTATTN_SANDBOX:-auto}" in
    always) return 0 ;;
    never) return 1 ;;
  esac
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    if [ -e "$lib" ]; then
      if grep -qa 'GLIBCXX_3\.4\.32' "$lib"; then return 1; fi
      return 0
    fi
  done
  return 0
}

if ! needs_sandbox; then
  exec "$@"
fi

root="${DISTATTN_SANDBOX_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/distributed-attention/debian13}"

ensure_tools() {
  local missing=()
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: this host's libstdc++ is too old for TorchSharp and ${missing[*]} is not installed." >&2
    echo "       install it (apt-get install ${missing[*]}) or run on a host with GCC 13+ libstdc++." >&2
    exit 1
  fi
  echo "[sandbox] installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# shellcheck source=eng/debian-mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"

ensure_tools
if [ ! -f "$root/.distattn-ready" ]; then
  echo "[sandbox] creating a Debian 13 userland in $root (one time, ~15 s)" >&2
  mkdir -p "$(dirname "$root")"
  tmp="$root.tmp.$$"
  rm -rf "$tmp"
  include="libicu76,ca-certificates,libgomp1"
  for package in ${DISTATTN_SANDBOX_PACKAGES:-}; do include="$include,$package"; done
  mmdebstrap --quiet --variant=minbase --include="$include" trixie "$tmp" "$(host_mirror)" >&2
  rm -rf "$root"
  mv "$tmp" "$root"
  touch "$root/.distattn-ready"
fi

# Extra packages (e.g. Python's safetensors for interop tests), installed once into the userland.
extra_packages=()
for package in ${DISTATTN_SANDBOX_PACKAGES:-}; do
  # Multi-arch libraries list themselves as PACKAGE:amd64.
  [ -e "$root/var/lib/dpkg/info/$package.list" ] || [ -e "$root/var/lib/dpkg/info/$package:amd64.list" ] || extra_packages+=("$package")
done
if [ ${#extra_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: the sandbox lacks ${extra_packages[*]}; run once as root to install them." >&2
    exit 1
  fi
  echo "[sandbox] installing ${extra_packages[*]} into the userland" >&2
  # apt runs as root here: its privilege drop to _apt cannot write in the unshared /tmp.
  # A policy-rc.d that refuses every action keeps packages with services (redis-server) from
  # starting a daemon during the install (mmdebstrap does the same when it creates the userland);
  # the pid namespace and --die-with-parent make sure nothing started anyway outlives the install.
  bwrap --bind "$root" / --proc /proc --dev /dev --ro-bind /etc/resolv.conf /etc/resolv.conf --perms 1777 --tmpfs /tmp \
    --unshare-pid --die-with-parent \
    bash -c "if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; fi \
      && apt-get -o APT::Sandbox::User=root update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root install -y -qq --no-install-recommends ${extra_packages[*]}" >&2
fi

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || (cd "$(dirname "$0")/.." && pwd))
args=(
  --bind "$root" /
  --proc /proc --dev /dev
  --ro-bind "$dotnet_root" "$dotnet_root"
  --bind /tmp /tmp
  --bind "$HOME" "$HOME"
  --bind "$(dirname "$repo")" "$(dirname "$repo")"
  --ro-bind /etc/resolv.conf /etc/resolv.conf
  --ro-bind /etc/ssl /etc/ssl
  --ro-bind /etc/hosts /etc/hosts
  --die-with-parent
  --chdir "$PWD"
  --setenv PATH "$dotnet_root:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  --setenv DOTNET_ROOT "$dotnet_root"
  --setenv HOME "$HOME"
)
# The Docker engine's socket, when one runs, so that tests can drive docker and docker-compose.
if [ -S /run/docker.sock ]; then
  args+=(--bind /run/docker.sock /run/docker.sock)
fi
# Extra read-only folders the build may need (e.g. an offline NuGet package folder).
for extra in /opt/nuget "${DISTATTN_SANDBOX_EXTRA_BINDS:-}"; do
  [ -n "$extra" ] && [ -e "$extra" ] && args+=(--ro-bind "$extra" "$extra")
done
# The working directory must exist inside too (e.g. when run from outside the repo).
case "$PWD" in
  "$(dirname "$repo")"*|/tmp*|"$HOME"*) ;;
  *) args+=(--bind "$PWD" "$PWD") ;;
esac
exec bwrap "${args[@]}" "$@"
