#!/usr/bin/env bash
# The project's test command: restore, build and run every test project (Release).
# Runs inside the Debian 13 sandbox when the host's libstdc++ is too old for TorchSharp.
set -euo pipefail
cd "$(dirname "$0")/.."
exec eng/in-sandbox.sh dotnet test DistributedAttention.sln -c Release --logger "console;verbosity=normal" "$@"
