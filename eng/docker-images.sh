#!/usr/bin/env bash
# Builds the container images from deploy/Dockerfile; their names come from deploy/images.env.
#
#   eng/docker-images.sh [--cuda] [--cuda-base IMAGE] [--local-base] [--rebuild-base] [--no-cache] [--test-images]
#
#   distattn:cpu        the CLI / silo / HTTP API with CPU libtorch (always)
#   distattn:dashboard  the Aspire dashboard (always)
#   distattn:api        the HTTP API alone, a client of a running cluster, without libtorch (always)
#   distattn:cuda       the same as cpu with CUDA libtorch on an NVIDIA CUDA base (--cuda); skipped,
#                       with a message, when that base is neither present nor pullable
#   distattn-base/redis:local  Redis from Debian 13's package (--test-images): the deployment tests
#                       run it where the official redis:7 cannot be pulled (made once and kept)
#
# Bases: the official .NET images (mcr.microsoft.com/dotnet/sdk:10.0, runtime-deps:10.0) when they
# are present or can be pulled. Otherwise, or with --local-base, Debian 13 images made here:
# distattn-base/runtime:10.0 (minbase and the libraries .NET and libtorch load) and
# distattn-base/sdk:10.0 (the same with this host's .NET SDK). They are made once and kept;
# --rebuild-base makes them again. Making them needs root (mmdebstrap).
#
# Environment: DISTATTN_SDK_IMAGE / DISTATTN_RUNTIME_IMAGE name other bases (used as given),
# DISTATTN_CUDA_BASE the CUDA base (as --cuda-base), DISTATTN_IMAGE_* other image names.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}

cuda=0 local_base=0 rebuild_base=0 test_images=0 no_cache=()
cuda_base="${DISTATTN_CUDA_BASE:-nvidia/cuda:12.8.1-base-ubuntu24.04}"
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) cuda=1 ;;
    --cuda-base) [ $# -ge 2 ] || usage 2; cuda=1; cuda_base="$2"; shift ;;
    --local-base) local_base=1 ;;
    --rebuild-base) rebuild_base=1 local_base=1 ;;
    --no-cache) no_cache=(--no-cache) ;;
    --test-images) test_images=1 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
  shift
done

log() { echo "[images] $*" >&2; }

# deploy/images.env: KEY=VALUE lines; a variable already set in the environment wins.
while IFS='=' read -r key value; do
  case "$key" in ''|\#*) continue ;; esac
  if [ -z "${!key:-}" ]; then export "$key=$value"; fi
done < deploy/images.env

if ! docker info >/dev/null 2>&1; then
  echo "error: no Docker engine answers (docker info failed); start dockerd first." >&2
  exit 1
fi

# BuildKit when this client can use it without pulling anything: through the buildx plugin, or
# built into clients before 23.0. Clients from 23.0 on without buildx only have the classic builder.
if [ -z "${DOCKER_BUILDKIT:-}" ]; then
  client_major=$(docker version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)
  if docker buildx version >/dev/null 2>&1 || [ "${client_major:-99}" -lt 23 ] 2>/dev/null; then
    export DOCKER_BUILDKIT=1
  else
    export DOCKER_BUILDKIT=0
  fi
fi
build_flags=()
if [ "$DOCKER_BUILDKIT" = 1 ]; then
  build_flags+=(--progress=plain)
  log "builder: BuildKit"
else
  # A failed step would otherwise leave its container behind.
  build_flags+=(--force-rm)
  log "builder: classic (this docker client has no BuildKit: install the buildx plugin for it)"
fi

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Present, or pulled now. A registry that cannot be reached fails fast; a slow pull is bounded.
image_available() {
  image_exists "$1" && return 0
  log "pulling $1"
  timeout 900 docker pull -q "$1" >/dev/null 2>&1
}

# shellcheck source=eng/debian-mirror.sh
source "$(dirname "${BASH_SOURCE[0]}")/debian-mirror.sh"

local_runtime_base=distattn-base/runtime:10.0
local_sdk_base=distattn-base/sdk:10.0

# Debian 13 minbase with what a self-contained .NET app and libtorch load: ICU, OpenSSL and the CA
# certificates, tzdata, zlib, libgomp (libstdc++ of GCC 14 comes with the minbase).
make_local_runtime_base() {
  if image_exists "$local_runtime_base" && [ "$rebuild_base" -eq 0 ]; then return 0; fi
  if ! command -v mmdebstrap >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "error: making the local base images needs mmdebstrap (apt-get install mmdebstrap)." >&2
      exit 1
    fi
    log "installing mmdebstrap"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >&2
  fi
  log "making $local_runtime_base (Debian 13 minbase)"
  mmdebstrap --quiet --variant=minbase --format=tar \
    --include=libicu76,ca-certificates,libgomp1,tzdata,zlib1g \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    trixie - "$(host_mirror)" \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        - "$local_runtime_base" >/dev/null
}

# Redis for the deployment tests (compose and the rendered Kubernetes silo): Debian 13's
# redis-server as the redis user, data in /data, as the official image has them.
local_redis=distattn-base/redis:local
make_local_redis() {
  if image_exists "$local_redis" && [ "$rebuild_base" -eq 0 ]; then return 0; fi
  command -v mmdebstrap >/dev/null || { echo "error: making $local_redis needs mmdebstrap (apt-get install mmdebstrap)." >&2; exit 1; }
  log "making $local_redis (Debian 13 redis-server)"
  mmdebstrap --quiet --variant=minbase --format=tar --include=redis-server,redis-tools \
    --customize-hook='mkdir -p "$1/data" && chroot "$1" chown redis:redis /data' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    trixie - "$(host_mirror)" \
    | docker import --change 'USER redis' --change 'WORKDIR /data' --change 'EXPOSE 6379' \
        --change 'CMD ["redis-server"]' - "$local_redis" >/dev/null
}

# The runtime base plus this host's .NET SDK, sent to the engine as a tar stream (no copy on disk),
# and the extra CA certificates this host trusts (restores behind a TLS-inspecting proxy).
make_local_sdk_base() {
  if image_exists "$local_sdk_base" && [ "$rebuild_base" -eq 0 ]; then return 0; fi
  local dotnet_root context
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  log "making $local_sdk_base (the runtime base with the .NET SDK from $dotnet_root, $(du -sh "$dotnet_root" | cut -f1))"
  context=$(mktemp -d)
  mkdir "$context/ca-certificates"
  if [ -d /usr/local/share/ca-certificates ]; then
    find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$context/ca-certificates/" \;
  fi
  cat > "$context/Dockerfile" <<EOF
FROM $local_runtime_base
COPY dotnet /usr/share/dotnet
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet && update-ca-certificates >/dev/null
ENV DOTNET_ROOT=/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_RUNNING_IN_CONTAINER=true
EOF
  local parent name
  parent=$(dirname "$dotnet_root") name=$(basename "$dotnet_root")
  tar -c -C "$context" Dockerfile ca-certificates \
      -C "$parent" --transform "s,^$name\(/\|\$\),dotnet\1," "$name" \
    | docker build -q -t "$local_sdk_base" - >/dev/null
  rm -rf "$context"
}

sdk_image="${DISTATTN_SDK_IMAGE:-}"
runtime_image="${DISTATTN_RUNTIME_IMAGE:-}"
if [ -z "$sdk_image" ] || [ -z "$runtime_image" ]; then
  official_sdk=mcr.microsoft.com/dotnet/sdk:10.0
  official_runtime=mcr.microsoft.com/dotnet/runtime-deps:10.0
  if [ "$local_base" -eq 0 ] && image_available "$official_sdk" && image_available "$official_runtime"; then
    sdk_image="${sdk_image:-$official_sdk}" runtime_image="${runtime_image:-$official_runtime}"
  else
    [ "$local_base" -eq 1 ] || log "the official .NET images cannot be pulled: using Debian 13 bases made here"
    make_local_runtime_base
    make_local_sdk_base
    sdk_image="${sdk_image:-$local_sdk_base}" runtime_image="${runtime_image:-$local_runtime_base}"
  fi
fi
log "bases: build $sdk_image, runtime $runtime_image"

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
version=$(git describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
source_url=$(git config --get remote.origin.url 2>/dev/null || true)
case "$source_url" in https://*) ;; *) source_url="" ;; esac

summary=()
build() {
  local tag="$1" started
  shift
  started=$(date +%s)
  log "building $tag"
  docker build -f deploy/Dockerfile "${build_flags[@]}" "${no_cache[@]}" \
    --build-arg SDK_IMAGE="$sdk_image" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg SOURCE_URL="$source_url" \
    -t "$tag" "$@" . || return 1
  summary+=("$(printf '%-28s %4d s  %s' "$tag" "$(( $(date +%s) - started ))" \
    "$(docker image inspect -f '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')")")
}

build "$DISTATTN_IMAGE_DASHBOARD" --target dashboard --build-arg RUNTIME_IMAGE="$runtime_image"
build "$DISTATTN_IMAGE_CPU" --target app --build-arg RUNTIME_IMAGE="$runtime_image" --build-arg TORCH_BACKEND=cpu
# The HTTP API alone (no libtorch): for an API in front of the silos on its own.
build "${DISTATTN_IMAGE_API:-distattn:api}" --target api --build-arg RUNTIME_IMAGE="$runtime_image"

if [ "$cuda" -eq 1 ]; then
  if image_available "$cuda_base"; then
    # The NVIDIA bases have no ICU; .NET runs in invariant globalization mode there.
    if ! build "$DISTATTN_IMAGE_CUDA" --target app --build-arg RUNTIME_IMAGE="$cuda_base" \
      --build-arg TORCH_BACKEND=cuda --build-arg GLOBALIZATION_INVARIANT=true; then
      log "building $DISTATTN_IMAGE_CUDA failed; it needs a NuGet source that serves TorchSharp-cuda-linux"
      log "(see Directory.Packages.props) and its libtorch-cuda-12.8-linux-x64 parts."
      exit 1
    fi
  else
    log "SKIPPED $DISTATTN_IMAGE_CUDA: its base $cuda_base is neither present here nor pullable."
    log "        Give a CUDA 12.8+ base on Ubuntu 24.04 (or newer) that is present: --cuda-base IMAGE."
    summary+=("$(printf '%-28s skipped (no base image %s)' "$DISTATTN_IMAGE_CUDA" "$cuda_base")")
  fi
fi

if [ "$test_images" -eq 1 ]; then
  started=$(date +%s)
  make_local_redis
  summary+=("$(printf '%-28s %4d s  %s' "$local_redis" "$(( $(date +%s) - started ))" \
    "$(docker image inspect -f '{{.Size}}' "$local_redis" | awk '{ printf "%.0f MB", $1 / 1e6 }')")")
fi

echo
printf '%s\n' "${summary[@]}"
