#!/usr/bin/env bash
# Runs the benchmarks on a GPU machine that has PyTorch with CUDA but no .NET and no package
# registry: the benchmark travels as a self-contained program that loads that PyTorch's libtorch.
#
#   eng/gpu-check.sh pack                 on a build machine (needs the .NET SDK; through
#                                         eng/in-sandbox.sh on hosts with an old libstdc++):
#                                         writes artifacts/gpu-check.tar.xz (~45 MB)
#   eng/gpu-check.sh run [--device D] [--out DIR] [--quick]
#                                         on the GPU machine, from the repository root, with that
#                                         archive in artifacts/: runs every step below, each with a
#                                         time limit, and goes on past a failed step
#
# What run does, each step's output in DIR/gpu-check.log (default: $OUT when set, else
# artifacts/gpu-check-out) and a one-line verdict per step at the end:
#   1. the machine: nvidia-smi, python3's torch version, CUDA, the GPU;
#   2. PyTorch alone: the same window attention in PyTorch on D (pytorch/window_sdpa.py), so a
#      GPU figure exists even when our program cannot load;
#   3. our benchmark on D against the libtorch in PyTorch's torch/lib (its version differs from
#      the one TorchSharp was built for: where it stops, the log says so): the load itself, then the
#      window, exact (with libtorch's SDPA in the same process) and model suites, then ours next to
#      PyTorch's window attention in the same run.
# --quick runs smaller sizes (a minute or two on an H200). D defaults to cuda:0; cpu runs the same
# steps on a CPU-only PyTorch, which is how this script is tested where no GPU is lent.
set -uo pipefail
cd "$(dirname "$0")/.."

archive=artifacts/gpu-check.tar.xz

usage() {
  sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}

# The system libstdc++ the loader would use (empty when none is registered).
system_libstdcxx() { ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}'; }

pack() {
  set -e
  local build=artifacts/gpu-check-build publish=artifacts/gpu-check
  rm -rf "$publish"
  # TorchBackend=external: no libtorch in the program; the GPU machine's PyTorch provides it.
  dotnet publish tests/DistributedAttention.Benchmarks -c Release -r linux-x64 --self-contained \
    -p:TorchBackend=external --artifacts-path "$build" -o "$publish/bench"
  rm -f "$publish"/bench/*.pdb
  # LibTorchSharp needs GLIBCXX_3.4.32 (GCC 13+); a GPU machine's distribution may ship an older
  # libstdc++. Carry this one; run puts it on the library path only where the host's is too old.
  mkdir -p "$publish/compat"
  cp -L "$(system_libstdcxx)" "$publish/compat/libstdc++.so.6"
  if command -v xz >/dev/null; then
    tar -C artifacts -cJf "$archive" gpu-check
  elif command -v python3 >/dev/null; then
    python3 -c 'import sys, tarfile; t = tarfile.open(sys.argv[1], "w:xz"); t.add("artifacts/gpu-check", "gpu-check"); t.close()' "$archive"
  else
    echo "error: packing needs xz (xz-utils) or python3" >&2
    exit 1
  fi
  echo "wrote $archive ($(du -h "$archive" | cut -f1)); carry it to the GPU machine and run: eng/gpu-check.sh run" >&2
}

step_names=() step_results=()
record() { step_names+=("$1"); step_results+=("$2"); }

# run_step NAME LIMIT_SECONDS COMMAND...: runs it with a limit, logs it, records pass/fail/timeout.
run_step() {
  local name=$1 limit=$2 rc
  shift 2
  echo "== $name" | tee -a "$log"
  echo "\$ $*" >>"$log"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$log"
  rc=${PIPESTATUS[0]}
  case $rc in
    0) record "$name" "ok" ;;
    124 | 137) record "$name" "stopped at its ${limit} s limit" ;;
    *) record "$name" "failed (exit $rc)" ;;
  esac
  return "$rc"
}

run() {
  local device=cuda:0 out=${OUT:-artifacts/gpu-check-out} quick=0
  while [ $# -gt 0 ]; do
    case $1 in
      --device) device=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --quick) quick=1; shift ;;
      -h | --help) usage 0 ;;
      *) echo "error: unknown option '$1'" >&2; usage 2 ;;
    esac
  done
  mkdir -p "$out"
  log="$out/gpu-check.log"
  : >"$log"
  local window_range=(14 20) full_range=(12 15) side_range=(16 20) model_rows=405390
  if [ "$quick" = 1 ]; then window_range=(14 18) full_range=(12 14) side_range=(16 18) model_rows=131072; fi

  run_step "machine" 60 bash -c 'uname -a; (nvidia-smi || echo "no nvidia-smi"); python3 -c "import torch, os; print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"available\", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"\"); print(\"torch/lib:\", os.path.join(os.path.dirname(torch.__file__), \"lib\"))"'

  run_step "PyTorch window attention alone" 300 python3 tests/DistributedAttention.Benchmarks/pytorch/window_sdpa.py \
    --device "$device" --log2 "${side_range[@]}" --impls sdpa matmul-softmax --blocks 128 256 512

  if [ ! -f "$archive" ]; then
    record "our benchmark" "not run: $archive is missing (make it with: eng/gpu-check.sh pack)"
    summary
    return 1
  fi
  local unpacked
  unpacked=$(mktemp -d)
  tar -C "$unpacked" -xJf "$archive" || python3 -m tarfile -e "$archive" "$unpacked"
  local bench="$unpacked/gpu-check/bench/DistributedAttention.Benchmarks"
  local torch_lib
  torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  local library_path="$torch_lib"
  local host_libstdcxx
  host_libstdcxx=$(system_libstdcxx)
  if [ -z "$host_libstdcxx" ] || ! grep -qa 'GLIBCXX_3\.4\.32' "$host_libstdcxx"; then
    echo "host libstdc++ (${host_libstdcxx:-none}) lacks GLIBCXX_3.4.32: using the carried one" | tee -a "$log"
    library_path="$unpacked/gpu-check/compat:$library_path"
  fi
  # No ICU on a bare machine; the benchmark needs no culture data.
  local env=(env "LD_LIBRARY_PATH=$library_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1)

  run_step "LibTorchSharp against $torch_lib (ldd)" 30 bash -c "LD_LIBRARY_PATH='$library_path' ldd '$unpacked/gpu-check/bench/libLibTorchSharp.so' | grep -E 'torch|c10|stdc|not found'"
  if run_step "our benchmark loads libtorch on $device" 120 "${env[@]}" "$bench" --device "$device" window 10 10; then
    run_step "ours: window attention" 300 "${env[@]}" "$bench" --device "$device" window "${window_range[@]}"
    run_step "ours: exact attention vs libtorch SDPA" 300 "${env[@]}" "$bench" --device "$device" full "${full_range[@]}"
    run_step "ours: one layer of the book model" 300 "${env[@]}" "$bench" --device "$device" model "$model_rows" 3
    run_step "ours next to PyTorch (same run)" 400 "${env[@]}" "$bench" --device "$device" pytorch "${side_range[@]}" python3
  fi
  rm -rf "$unpacked"
  summary
}

summary() {
  {
    echo "== summary"
    for i in "${!step_names[@]}"; do echo "${step_names[$i]}: ${step_results[$i]}"; done
  } | tee -a "$log"
}

case ${1:-} in
  pack) pack ;;
  run) shift; run "$@" ;;
  -h | --help) usage 0 ;;
  *) usage 2 ;;
esac
