#!/usr/bin/env bash
# Training throughput (images/s, forward + backward + Adam step, batch 64) of gpu-cnn's CPU backend beside
# PyTorch on the same machine in the same run. The two alternate so that both see the same machine state.
#   Benchmarks/train-throughput.sh [model ...]        (default: lenet5 seednet)
#   e.g. Benchmarks/train-throughput.sh vgg16-cifar resnet18-cifar
# Each round times STEPS steps after WARMUP untimed ones (300 and 30 for the MNIST models, 12 and 3 for the
# CIFAR-sized ones, whose steps take about a second each here).
# Needs Debian's python3-torch and libopenblas0-pthread (see Benchmarks/peer/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
models=("${@:-lenet5}")
[ $# -eq 0 ] && models=(lenet5 seednet)
rounds="${ROUNDS:-3}"
python=/usr/bin/python3
# Some machines pin OpenBLAS to an older core type (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE) for safety; the peer runs
# without that pin, on the kernels OpenBLAS picks for this CPU, so that it is measured at its best.
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python")
dotnet build Cli -c Release -nologo -v quiet >/dev/null
gpucnn=(dotnet Cli/bin/Release/net10.0/gpucnn.dll)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Both programs end with a JSON line; gpu-cnn names the figure images_per_second, the peer script images_per_s.
rate() {
    "$python" -c 'import json, sys
d = json.loads(sys.stdin.read().strip().splitlines()[-1])
print(d.get("images_per_second", d.get("images_per_s")))'
}

echo "OpenBLAS core for the peer: $("${peer[@]}" -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())')"
printf '%-15s %14s %14s %7s\n' model gpu-cnn pytorch ratio
for model in "${models[@]}"; do
    ours=(); theirs=()
    case "$model" in
        *cifar*) steps="${STEPS:-12}" warmup="${WARMUP:-3}" ;;
        *) steps="${STEPS:-300}" warmup="${WARMUP:-30}" ;;
    esac
    timing=(--steps "$steps" --warmup "$warmup" --repeats 1)
    for _ in $(seq "$rounds"); do
        ours+=("$("${gpucnn[@]}" bench --model "$model" --device cpu "${timing[@]}" | rate)")
        theirs+=("$("${peer[@]}" Benchmarks/peer/train_throughput.py --model "$model" --threads 2 "${timing[@]}" | rate)")
    done
    a=$(printf '%s\n' "${ours[@]}" | median)
    b=$(printf '%s\n' "${theirs[@]}" | median)
    printf '%-15s %14.0f %14.0f %6.2fx   (rounds: gpu-cnn %s; pytorch %s)\n' "$model" "$a" "$b" \
        "$(echo "$a / $b" | bc -l)" "$(printf '%.0f ' "${ours[@]}")" "$(printf '%.0f ' "${theirs[@]}")"
done
