#!/usr/bin/env bash
# gpu-cnn on an NVIDIA GPU (CUDA through ILGPU) beside PyTorch fp32 on the same GPU, in one call.
#
#   Benchmarks/gpu/run-on-gpu.sh prepare   (here, with .NET) publishes the CLI as one self-contained, compressed
#                                          linux-x64 file and gzips MNIST into artifacts/gpu/ (checked < 64 MiB)
#   Benchmarks/gpu/run-on-gpu.sh run       (on the GPU machine, which has no .NET: only the NVIDIA driver and
#                                          PyTorch with CUDA) runs everything below and writes results to $OUT
#                                          (default artifacts/gpu/results)
#
# The run: `devices`; `selftest --device cuda` (every op and its gradients against the CPU backend); LeNet-5
# trained for one epoch on MNIST on the GPU (accuracy); training throughput of resnet18-cifar and vgg16-cifar at
# batch 64 and 256 with gpu-cnn (`bench --device cuda`) and with PyTorch (torch_cuda_throughput.py: cuDNN, TF32
# off), then the ratio gpu-cnn / PyTorch for each (the goal: at least 0.5). The device tool carries artifacts/gpu
# (ignored by git) with `carry: ["artifacts/gpu"]`. Each step has STEP_TIMEOUT seconds (default 150) so that one hung
# step cannot eat the machine's whole time. No trimming or Native AOT: ILGPU generates code at run time.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=artifacts/gpu
limit=$((64 * 1024 * 1024))

prepare() {
    set -e
    mkdir -p "$dir/mnist"
    dotnet publish Cli -c Release -r linux-x64 --self-contained true -p:PublishSingleFile=true \
        -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
        -p:DebugType=none -p:GenerateDocumentationFile=false -nologo -v quiet -o "$dir/publish"
    cp "$dir/publish/gpucnn" "$dir/gpucnn"
    rm -rf "$dir/publish"
    local data="${GPUCNN_DATA_DIR:-data/mnist}"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        if [ -f "$data/$f.gz" ]; then
            cp "$data/$f.gz" "$dir/mnist/"
        else
            gzip -9 -c "$data/$f" > "$dir/mnist/$f.gz"
        fi
    done
    local size
    size=$(du -cb "$dir/gpucnn" "$dir/mnist" | tail -1 | cut -f1)
    echo "gpucnn: $(du -b "$dir/gpucnn" | cut -f1) bytes; with MNIST: $size bytes (limit $limit)"
    [ "$size" -lt "$limit" ] || { echo "artifacts/gpu is over 64 MiB" >&2; exit 1; }
}

run() {
    local out="${OUT:-$dir/results}" failed=0 python="${PYTHON:-python3}"
    mkdir -p "$out"
    local gpucnn=("$dir/gpucnn")
    step() { # name, command...: runs one step, keeps its output, never stops the run
        local name=$1; shift
        echo "== $name: $*" | tee -a "$out/summary.txt"
        timeout "${STEP_TIMEOUT:-150}" "$@" > "$out/$name.log" 2>&1
        local rc=$?
        tail -n 25 "$out/$name.log" | tee -a "$out/summary.txt"
        echo "== $name: exit $rc" | tee -a "$out/summary.txt"
        [ $rc -eq 0 ] || failed=1
    }
    nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
    # ILGPU opens the driver as "cuda", which .NET resolves to libcuda.so; driver-only machines often have just
    # libcuda.so.1, so give it the plain name in a folder of our own.
    if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so '; then
        local so1
        so1=$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 /{print $NF; exit}')
        if [ -n "$so1" ]; then
            mkdir -p "$out/lib" && ln -sf "$so1" "$out/lib/libcuda.so"
            export LD_LIBRARY_PATH="$(cd "$out/lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        fi
    fi
    step devices "${gpucnn[@]}" devices
    step selftest "${gpucnn[@]}" selftest --device cuda
    step lenet5-train "${gpucnn[@]}" train --model lenet5 --epochs 1 --device cuda --data-dir "$dir/mnist"
    for model in resnet18-cifar vgg16-cifar; do
        for batch in 64 256; do
            step "gpucnn-$model-$batch" "${gpucnn[@]}" bench --model "$model" --device cuda --batch-size "$batch" \
                --steps 30 --warmup 5 --repeats 3
            step "pytorch-$model-$batch" "$python" Benchmarks/gpu/torch_cuda_throughput.py --model "$model" \
                --batch-size "$batch" --steps 30 --warmup 5 --repeats 3
        done
    done
    ratios "$out" | tee -a "$out/summary.txt"
    echo "results in $out; any step failed: $failed"
    return $failed
}

# gpu-cnn's images/s (bench prints "...: 1,234 images/s (runs: ...") over PyTorch's (its last line is JSON).
ratios() {
    "${PYTHON:-python3}" - "$1" <<'PY'
import json, pathlib, re, sys
out = pathlib.Path(sys.argv[1])
for model in ("resnet18-cifar", "vgg16-cifar"):
    for batch in (64, 256):
        ours = theirs = None
        log = out / f"gpucnn-{model}-{batch}.log"
        if log.exists():
            found = re.findall(r": ([0-9][0-9,]*) images/s", log.read_text())
            ours = float(found[-1].replace(",", "")) if found else None
        log = out / f"pytorch-{model}-{batch}.log"
        if log.exists():
            lines = [l for l in log.read_text().splitlines() if l.startswith("{")]
            theirs = json.loads(lines[-1])["images_per_s"] if lines else None
        ratio = f"{ours / theirs:.2f}" if ours and theirs else "n/a"
        print(f"ratio {model} batch {batch}: gpu-cnn {ours or 'n/a'} / PyTorch {theirs or 'n/a'} images/s = {ratio}"
              " (goal >= 0.50)")
PY
}

case "${1:-}" in
    prepare) prepare ;;
    run) run ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
esac
