#!/usr/bin/env bash
# SGEMM GFLOP/s at n = 512, 1024, 2048: gpu-cnn's CPU backend, its OpenCL backend (on whatever device is
# present; PoCL on machines without a GPU) and OpenBLAS through PyTorch, in one run on one machine.
#   Benchmarks/gemm.sh [sizes...]
# Needs Debian's python3-torch and libopenblas0-pthread (see Benchmarks/peer/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-512 1024 2048}")
[ $# -eq 0 ] && sizes=(512 1024 2048)
python=/usr/bin/python3
# As in train-throughput.sh: the peer runs on the OpenBLAS kernels chosen for this CPU, not a pinned older core.
peer=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python")
dotnet build Cli -c Release -nologo -v quiet >/dev/null
gpucnn=(dotnet Cli/bin/Release/net10.0/gpucnn.dll)

cpu=$("${gpucnn[@]}" bench-gemm --device cpu --sizes "${sizes[@]}" | tail -n 1)
opencl=$("${gpucnn[@]}" bench-gemm --device opencl --sizes "${sizes[@]}" 2>/dev/null | tail -n 1 || echo '{}')
torch=$("${peer[@]}" Benchmarks/peer/gemm.py --threads 2 --sizes "${sizes[@]}" | tail -n 1)

"$python" - "$cpu" "$opencl" "$torch" "${sizes[@]}" <<'PY'
import json, sys
cpu, opencl, torch = (json.loads(a) for a in sys.argv[1:4])
peer = {str(r["n"]): r["gflops"] for r in torch["results"]}
print(f"{'n':>6} {'cpu backend':>12} {'opencl':>10} {'openblas':>10} {'cpu/openblas':>13}")
for n in sys.argv[4:]:
    c = cpu["gflops"].get(n)
    o = opencl.get("gflops", {}).get(n)
    b = peer.get(n)
    fmt = lambda v: f"{v:10.1f}" if v is not None else f"{'-':>10}"
    print(f"{n:>6} {c:12.1f} {fmt(o)} {fmt(b)} {c / b:12.2f}x")
PY
