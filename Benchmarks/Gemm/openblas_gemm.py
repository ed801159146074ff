#!/usr/bin/env python3
"""OpenBLAS cblas_sgemm GFLOP/s, timed as GemmSweep.cs times CpuGemm (row-major, beta = 0).

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 Benchmarks/Gemm/openblas_gemm.py [--threads 2] [m,n,k,NT ...]

Each repeat runs back-to-back calls for at least SWEEP_MIN_TIME seconds (0.15); median and best of 5 printed.
"""
import ctypes
import os
import sys
import time

import numpy as np

lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
args = sys.argv[1:]
threads = 2
if args[:1] == ["--threads"]:
    threads = int(args[1])
    args = args[2:]
lib.openblas_set_num_threads(threads)
print("openblas core", lib.openblas_get_corename().decode(), "threads", threads)
shapes = []
for s in args:
    m, n, k, t = s.split(",")[:4]
    shapes.append((int(m), int(n), int(k), t[0] == "T", t[1] == "T"))
if not shapes:
    shapes = [(n, n, n, ta, tb) for n in (512, 1024, 2048) for ta, tb in ((0, 0), (0, 1), (1, 0))]
min_time = float(os.environ.get("SWEEP_MIN_TIME", "0.15"))
P = ctypes.POINTER(ctypes.c_float)
for m, n, k, ta, tb in shapes:
    rng = np.random.default_rng(1)
    a = (rng.random((k, m) if ta else (m, k), dtype=np.float32) - 0.5).copy()
    b = (rng.random((n, k) if tb else (k, n), dtype=np.float32) - 0.5).copy()
    c = np.zeros((m, n), dtype=np.float32)
    pa, pb, pc = (x.ctypes.data_as(P) for x in (a, b, c))
    lda, ldb = (m if ta else k), (k if tb else n)

    def once():
        lib.cblas_sgemm(101, 112 if ta else 111, 112 if tb else 111, m, n, k, ctypes.c_float(1.0), pa, lda,
                        pb, ldb, ctypes.c_float(0.0), pc, n)

    once()
    rates = []
    repeats = int(os.environ.get("SWEEP_REPEATS", "5"))
    for _ in range(repeats):
        calls = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(calls):
                once()
            s = time.perf_counter() - t0
            if s >= min_time:
                rates.append(2.0 * m * n * k * calls / s / 1e9)
                break
            calls *= 2
    rates.sort()
    print("%dx%dx%d %s%s median %.1f best %.1f" % (m, n, k, "T" if ta else "N", "T" if tb else "N", rates[len(rates) // 2], rates[-1]))
