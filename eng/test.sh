#!/usr/bin/env bash
# The project's test command: restore, build and run every test project (Release). The whole
# solution is built before any test runs: process tests start distattn from its own build output,
# and the client-only tests must not reference it (it would bring libtorch into their output).
# Runs inside the Debian 13 sandbox when the host's libstdc++ is too old for TorchSharp.
set -uo pipefail
cd "$(dirname "$0")/.."
# The interop tests read our safetensors files with Python's own safetensors library, the
# pretrained-model tests check our decoders against a float64 PyTorch reference (python3-torch); the
# Redis clustering tests start their own redis-server; the dashboard tests render its pages in
# a headless chromium; the Kubernetes manifest tests render k8s/ with kubectl's built-in kustomize
# (offline, no cluster); the deployment tests drive the host's Docker engine (its socket is bound
# into the sandbox) with Debian 13's Docker client and Compose v2.
export DISTATTN_SANDBOX_PACKAGES="${DISTATTN_SANDBOX_PACKAGES:-python3 python3-numpy python3-safetensors python3-torch redis-server chromium kubectl docker-cli docker-compose}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The deployment tests run first and on their own: a whole cluster in containers (three silos, the
# API, the dashboard, Redis) beside the process tests' silos starved both on two cores in CI, so that
# containers missed their health checks. Then every other test project, in parallel as usual.
eng/in-sandbox.sh bash -c '
  dotnet build DistributedAttention.sln -c Release || exit 1
  dotnet test tests/DistributedAttention.Deploy.Tests -c Release --no-build --logger "console;verbosity=normal" "$@"; deploy=$?
  dotnet test DistributedAttention.sln -c Release --no-build -p:SkipDeployTests=true --logger "console;verbosity=normal" "$@"; rest=$?
  [ "$deploy" -eq 0 ] && [ "$rest" -eq 0 ]' test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# One closing line over all test projects.
passed=$(awk '/^ +Passed: [0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
failed=$(awk '/^ +Failed: [0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
skipped=$(awk '/^ +Skipped: [0-9]+$/ { s += $2 } END { print s + 0 }' "$log")
# Each failed test with its message and the top of its stack, last, so a log's tail names them.
if [ "$failed" -gt 0 ]; then
  echo
  echo "== failed tests =="
  awk '/^  Failed [^ ]/ { n = 14; print; next }
       /^  (Passed|Skipped) / { n = 0 }
       n > 0 { print; n-- }' "$log" | cut -c1-400 | head -n 300
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "error: no test ran" >&2
  exit 1
fi
exit "$status"
