#!/usr/bin/env bash
# gpu-cnn's CPU backend beside its two peers on the same machine in one run, alternating so that all three see the
# same machine state: PyTorch (Debian's python3-torch, Benchmarks/peer) and libtorch through TorchSharp-cpu
# (Benchmarks/libtorch). Same models, batches and recipe in all three (batch 64, Adam lr 1e-3, cross-entropy, random
# inputs of the model's shape). Sections, each printing per model the medians over ROUNDS rounds and the ratios of
# gpu-cnn to each peer (above 1 means gpu-cnn is faster):
#   train      training images/s (forward + loss + backward + Adam step), batch 64, and the GFLOP/s gpu-cnn reaches;
#   inference  evaluation mode, forward only: batch 1 latency (ms per image) and batch 64 throughput (images/s);
#   gemm       float32 n x n GEMM GFLOP/s at n = SIZES: gpu-cnn's bench-gemm, OpenBLAS through torch.mm, libtorch.
#
#   Benchmarks/side-by-side.sh [model ...]      (default: lenet5 seednet resnet18-cifar vgg16-cifar)
# Environment: ROUNDS (3); STEPS and WARMUP (training steps; default 300/30 for the MNIST models, 12/3 for the CIFAR
# ones); SECTIONS ("train inference gemm"); SIZES ("512 1024 2048"); PEERS ("pytorch libtorch"); THREADS (2);
# NO_BUILD=1 to use the existing Release builds; LOCK=path to run each build and each model's rounds under
# `flock path`, released in between, so that other work on a shared machine waits for the timing and not the other
# way round; PEER_OPENBLAS_CORETYPE to choose the peer's OpenBLAS kernels instead of the check below.
# The defaults take about 15 minutes on a 2-core machine. Needs python3-torch and libopenblas0-pthread (Debian 12),
# and for the libtorch peer the TorchSharp-cpu package (a 1.4 GB restore on the first build); see
# Benchmarks/peer/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
models=("$@")
[ $# -eq 0 ] && models=(lenet5 seednet resnet18-cifar vgg16-cifar)
rounds="${ROUNDS:-3}"
sections="${SECTIONS:-train inference gemm}"
sizes="${SIZES:-512 1024 2048}"
peers="${PEERS:-pytorch libtorch}"
threads="${THREADS:-2}"
python=/usr/bin/python3
locked() { if [ -n "${LOCK:-}" ]; then flock "$LOCK" "$@"; else "$@"; fi; }
# The same lock around a group of commands (one model's rounds), through file descriptor 9.
lock() { if [ -n "${LOCK:-}" ]; then exec 9>>"$LOCK"; flock 9; fi; }
unlock() { if [ -n "${LOCK:-}" ]; then flock -u 9; exec 9>&-; fi; }
has_peer() { [[ " $peers " == *" $1 "* ]]; }

# --- The PyTorch peer's BLAS. Debian's torch 1.13 calls libblas.so.3, which must be OpenBLAS's pthread build.
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y -qq libopenblas0-pthread >/dev/null
    else
        echo "libopenblas0-pthread is missing: apt-get install -y libopenblas0-pthread" >&2
        exit 1
    fi
fi
blas_link=$(update-alternatives --display libblas.so.3-x86_64-linux-gnu 2>/dev/null |
    sed -n 's/.*link currently points to //p')
# OpenBLAS 0.3.21 does not know every AVX-512 processor model and then falls back to its Prescott (SSE3) kernels; the
# peer would be measured far below its best. Where the CPU has AVX-512 and detection picked an older core, the peer
# gets the SkylakeX kernels (AVX-512), which run on every AVX-512 processor.
corename() {
    env "$@" "$python" -c 'import ctypes
l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p
print(l.openblas_get_corename().decode())'
}
detected=$(corename -u OPENBLAS_CORETYPE)
coretype="${PEER_OPENBLAS_CORETYPE:-}"
if [ -z "$coretype" ] && grep -qw avx512f /proc/cpuinfo && ! [[ "$detected" =~ ^(SkylakeX|Cooperlake|SapphireRapids)$ ]]
then
    coretype=SkylakeX
fi
peer_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
[ -n "$coretype" ] && peer_env=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE="$coretype")
pytorch=("${peer_env[@]}" "$python")

# --- Builds. The libtorch peer's project makes its library's GLIBCXX_3.4.32 requirement optional after each build
# (Benchmarks/libtorch/weaken_glibcxx.py says why); it is applied here again in case the output was copied.
libtorch_dir=Benchmarks/libtorch/bin/Release/net10.0
if [ "${NO_BUILD:-}" != 1 ]; then
    locked dotnet build Cli -c Release -nologo -v quiet >/dev/null
    if has_peer libtorch; then
        locked dotnet build Benchmarks/libtorch -c Release -nologo -v quiet >/dev/null
    fi
fi
if has_peer libtorch; then
    "$python" Benchmarks/libtorch/weaken_glibcxx.py "$libtorch_dir/runtimes/linux-x64/native/libLibTorchSharp.so" \
        >/dev/null
fi
gpucnn=(dotnet Cli/bin/Release/net10.0/gpucnn.dll)
libtorch=(dotnet "$libtorch_dir/libtorch-peer.dll")

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
last() { tail -n 1; }

echo "side-by-side, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(uname -sr);" \
    "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gpu-cnn: $(git rev-parse --short HEAD 2>/dev/null || echo '?'), CPU backend; .NET $(dotnet --version)"
echo "PyTorch peer: torch $("$python" -c 'import torch; print(torch.__version__)'), $threads threads;" \
    "libblas.so.3 -> ${blas_link:-?}; OpenBLAS core detected: $detected;" \
    "used: $(corename "${peer_env[@]:1}")${coretype:+ (OPENBLAS_CORETYPE=$coretype)}"
has_peer libtorch && echo "libtorch peer: TorchSharp-cpu 0.107.0, $threads threads"
echo "rounds: $rounds, alternating gpu-cnn / PyTorch / libtorch; medians; ratios are gpu-cnn's speed over the peer's"

# One round: gpu-cnn, then each peer, each appending its JSON line to results/<key>/<framework>.
round() {
    local key=$1; shift
    local gpucnn_args=() torch_args=()
    while [ "$1" != -- ]; do gpucnn_args+=("$1"); shift; done
    shift
    torch_args=("$@")
    mkdir -p "$results/$key"
    "${gpucnn[@]}" bench --device cpu "${gpucnn_args[@]}" | last >>"$results/$key/gpu-cnn"
    if has_peer pytorch; then
        "${pytorch[@]}" Benchmarks/peer/train_throughput.py --threads "$threads" "${torch_args[@]}" | last \
            >>"$results/$key/pytorch"
    fi
    if has_peer libtorch; then
        "${libtorch[@]}" --threads "$threads" "${torch_args[@]}" | last >>"$results/$key/libtorch"
    fi
}

# A model's rounds of one section: key, then the options common to all three programs.
rounds_of() {
    local key=$1; shift
    for _ in $(seq "$rounds"); do
        round "$key" "$@" -- "$@"
    done
}

table() {
    "$python" - "$results" "$@" <<'PY'
import json, os, statistics, sys
results, kind = sys.argv[1], sys.argv[2]
keys = sys.argv[3:]

def runs(key, framework):
    path = os.path.join(results, key, framework)
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip()]

def rate(d):
    return d.get("images_per_second", d.get("images_per_s"))

def median(values):
    values = sorted(values)
    return values[(len(values) - 1) // 2] if values else None

def fmt(v, spec):
    return format(v, spec) if v is not None else "-"

frameworks = ["gpu-cnn", "pytorch", "libtorch"]
latency = kind == "latency"
unit = "ms/image" if latency else "images/s"
extra = "" if latency else f" {'gpu-cnn GFLOP/s':>16}"
names = {"gpu-cnn": "gpu-cnn", "pytorch": "PyTorch", "libtorch": "libtorch"}
for f in frameworks[1:]:  # the version each peer reported, major.minor
    version = next((d["runtime"]["torch"] for k in keys for d in runs(k, f)), None)
    if version:
        names[f] += " " + ".".join(version.split(".")[:2])
print(f"{'model':<16}" + "".join(f"{names[f] + ' ' + unit:>24}" for f in frameworks) +
      f" {'vs PyTorch':>11} {'vs libtorch':>12}{extra}")
for key in keys:
    model = key.split("/")[-1]
    per = {f: runs(key, f) for f in frameworks}
    rates = {f: median([rate(d) for d in per[f]]) for f in frameworks}
    shown = {f: (1000.0 / r if latency and r else r) for f, r in rates.items()}
    ratio = {f: (rates["gpu-cnn"] / rates[f] if rates[f] and rates["gpu-cnn"] else None) for f in frameworks}
    gflops = median([d["gflops"] for d in per["gpu-cnn"] if "gflops" in d])
    spec = ",.3f" if latency else ",.0f"
    line = (f"{model:<16}" + "".join(f"{fmt(shown[f], spec):>24}" for f in frameworks) +
            f" {fmt(ratio['pytorch'], '.2f') + 'x':>11} {fmt(ratio['libtorch'], '.2f') + 'x':>12}")
    if not latency:
        line += f" {fmt(gflops, '.1f'):>16}"
    print(line)
    print("    rounds (images/s): " + "; ".join(
        f"{f} " + " ".join(format(rate(d), ".0f") for d in per[f]) for f in frameworks if per[f]))
PY
}

steps_for() { # model, mode -> "--steps N --warmup M" so that a timed run lasts a second or a few
    case "$2:$1" in
        train:*cifar*) echo "--steps ${STEPS:-12} --warmup ${WARMUP:-3}" ;;
        train:*) echo "--steps ${STEPS:-300} --warmup ${WARMUP:-30}" ;;
        b1:*cifar*) echo "--steps 60 --warmup 6" ;;
        b1:*) echo "--steps 2000 --warmup 200" ;;
        b64:*cifar*) echo "--steps 4 --warmup 1" ;;
        b64:*) echo "--steps 200 --warmup 20" ;;
    esac
}

for section in $sections; do
    case "$section" in
    train)
        echo
        echo "== training, batch 64, Adam: images/s; GFLOP/s counts 3 x 2 x (conv + linear multiply-adds of one" \
            "forward pass) per image =="
        keys=()
        for model in "${models[@]}"; do
            lock
            # shellcheck disable=SC2046
            rounds_of "train/$model" --model "$model" --batch-size 64 --repeats 1 $(steps_for "$model" train)
            unlock
            keys+=("train/$model")
        done
        table throughput "${keys[@]}"
        ;;
    inference)
        echo
        echo "== inference (evaluation mode, forward only), batch 1: latency, ms per image =="
        keys1=(); keys64=()
        for model in "${models[@]}"; do
            lock
            # shellcheck disable=SC2046
            rounds_of "infer1/$model" --model "$model" --inference --repeats 1 --batch-size 1 $(steps_for "$model" b1)
            # shellcheck disable=SC2046
            rounds_of "infer64/$model" --model "$model" --inference --repeats 1 --batch-size 64 \
                $(steps_for "$model" b64)
            unlock
            keys1+=("infer1/$model"); keys64+=("infer64/$model")
        done
        table latency "${keys1[@]}"
        echo
        echo "== inference, batch 64: images/s; GFLOP/s counts 2 x (conv + linear multiply-adds) per image =="
        table throughput "${keys64[@]}"
        ;;
    gemm)
        echo
        echo "== SGEMM float32, C = A B with n x n matrices: GFLOP/s (2 n^3 / t), median of the repeats =="
        read -r -a ns <<<"$sizes"
        blas='{}'; lt='{}'
        lock
        ours=$("${gpucnn[@]}" bench-gemm --device cpu --sizes "${ns[@]}" | last)
        if has_peer pytorch; then
            blas=$("${pytorch[@]}" Benchmarks/peer/gemm.py --threads "$threads" --sizes "${ns[@]}" | last)
        fi
        if has_peer libtorch; then
            lt=$("${libtorch[@]}" --gemm --threads "$threads" --sizes "${ns[@]}" | last)
        fi
        unlock
        "$python" - "$ours" "$blas" "$lt" "${ns[@]}" <<'PY'
import json, statistics, sys
ours, blas, lt = (json.loads(a) for a in sys.argv[1:4])
def peer(d):  # the peers record every repeat; their median, as bench-gemm reports
    return {str(r["n"]): statistics.median(r["all_gflops"]) for r in d.get("results", [])}
blas, lt = peer(blas), peer(lt)
fmt = lambda v, s=".1f": format(v, s) if v is not None else "-"
print(f"{'n':>6} {'gpu-cnn':>10} {'OpenBLAS':>10} {'libtorch':>10} {'vs OpenBLAS':>12} {'vs libtorch':>12}")
for n in sys.argv[4:]:
    c, b, l = ours["gflops"].get(n), blas.get(n), lt.get(n)
    rb = c / b if c and b else None
    rl = c / l if c and l else None
    print(f"{n:>6} {fmt(c):>10} {fmt(b):>10} {fmt(l):>10} {fmt(rb, '.2f') + 'x':>12} {fmt(rl, '.2f') + 'x':>12}")
PY
        ;;
    *) echo "unknown section $section (train, inference, gemm)" >&2; exit 2 ;;
    esac
done
