// Shared by every program source that follows. The host compiles all sources as one program, once per device,
// with the device-derived tile sizes below passed as -D options; no problem shape is ever baked in.

// Element-wise kernels must round exactly as the CPU backend does, so no silent a*b+c contraction; the GEMM
// loops ask for mad() explicitly where speed matters more than the last bit.
#pragma OPENCL FP_CONTRACT OFF

#ifndef GEMM_WG
#define GEMM_WG 8         // threads per side of a GEMM work-group
#endif
#ifndef GEMM_RB
#define GEMM_RB 8         // outputs per thread per side (register block): 4 or 8, a vector width
#endif
#ifndef GEMM_TK
#define GEMM_TK 16        // reduction depth of one local-memory tile
#endif
#ifndef REDUCE_WG
#define REDUCE_WG 128     // work-group size of row and tree reductions (a power of two)
#endif

#define GEMM_TILE (GEMM_WG * GEMM_RB)
#define GEMM_THREADS (GEMM_WG * GEMM_WG)

// A thread's GEMM_RB adjacent columns form one vector (float4 or float8), loaded from local memory in one go.
#define GEMM_PASTE2(a, b) a##b
#define GEMM_PASTE(a, b) GEMM_PASTE2(a, b)
#define GEMM_VEC GEMM_PASTE(float, GEMM_RB)
#define GEMM_VLOAD GEMM_PASTE(vload, GEMM_RB)
#define GEMM_VSTORE GEMM_PASTE(vstore, GEMM_RB)

// GEMM_EACH_ROW(X) expands X(i) for each of a thread's GEMM_RB rows. NOTE: the rows are named variables, not an
// array, because a CPU driver (PoCL) keeps a private array in memory, one copy per work-item, while named values
// can stay in registers.
#if GEMM_RB == 8
#define GEMM_EACH_ROW(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#elif GEMM_RB == 4
#define GEMM_EACH_ROW(X) X(0) X(1) X(2) X(3)
#else
#error GEMM_RB must be 4 or 8
#endif

// The products may fuse a*b+c into one rounding (fma where the host found hardware FMA, else mad): only the
// element-wise kernels must match the CPU backend bit for bit, and a product's rounding is checked by tolerance.
#ifdef GEMM_FMA
#define GEMM_MAD(a, b, c) fma(a, b, c)
#else
#define GEMM_MAD(a, b, c) mad(a, b, c)
#endif

#define GEMM_DECLARE_ROW(i) GEMM_VEC acc##i = (GEMM_VEC)(0.0f);
#define GEMM_LOAD_ROW(i) GEMM_VEC sum##i = acc##i;
#define GEMM_MAD_ROW(i) sum##i = GEMM_MAD((GEMM_VEC)(tileA[kk][ty * GEMM_RB + (i)]), b, sum##i);
#define GEMM_SAVE_ROW(i) acc##i = sum##i;

// The body of every tiled product in the engine: acc<i> (GEMM_RB lanes j) accumulates op(A)(m, k) * op(B)(k, n)
// over k in [K_BEGIN, K_END) for the GEMM_TILE x GEMM_TILE output tile of this work-group, where row
// m = m0 + ty*GEMM_RB + i and column n = n0 + tx*GEMM_RB + j: each thread owns a GEMM_RB x GEMM_RB register block.
// A_AT(m, k) and B_AT(k, n) read one operand element (they are only evaluated in range); A_K_FAST / B_K_FAST say
// whether consecutive k are adjacent in memory, so that the threads of a work-group load adjacent addresses
// (coalesced); a tile wholly inside the operand (the same branch for the whole work-group) loads without bounds
// checks. The inner step reads a row of the B tile as one vector and broadcasts the A values, which keeps the
// accumulators in vector registers on GPUs and CPU drivers alike: a CPU driver does not have to vectorise across
// work-items (PoCL does not when the work-item body holds a loop) to use its SIMD units. NOTE: a CPU driver keeps
// values that live across a barrier (acc<i>) in memory, one copy per work-item; each step between barriers sums
// into sum<i>, which live only there and so stay in registers.
#define GEMM_TILE_LOOP(M_SIZE, N_SIZE, K_BEGIN, K_END, A_AT, A_K_FAST, B_AT, B_K_FAST) \
    __local float tileA[GEMM_TK][GEMM_TILE]; \
    __local float tileB[GEMM_TK][GEMM_TILE]; \
    const int tx = get_local_id(0); \
    const int ty = get_local_id(1); \
    const int tid = ty * GEMM_WG + tx; \
    const int m0 = get_group_id(1) * GEMM_TILE; \
    const int n0 = get_group_id(0) * GEMM_TILE; \
    GEMM_EACH_ROW(GEMM_DECLARE_ROW) \
    for (int k0 = (K_BEGIN); k0 < (K_END); k0 += GEMM_TK) { \
        const bool fullK = k0 + GEMM_TK <= (K_END); \
        if (fullK && m0 + GEMM_TILE <= (M_SIZE)) { \
            for (int e = tid; e < GEMM_TILE * GEMM_TK; e += GEMM_THREADS) { \
                const int mm = (A_K_FAST) ? e / GEMM_TK : e % GEMM_TILE; \
                const int kk = (A_K_FAST) ? e % GEMM_TK : e / GEMM_TILE; \
                tileA[kk][mm] = A_AT(m0 + mm, k0 + kk); \
            } \
        } else { \
            for (int e = tid; e < GEMM_TILE * GEMM_TK; e += GEMM_THREADS) { \
                const int mm = (A_K_FAST) ? e / GEMM_TK : e % GEMM_TILE; \
                const int kk = (A_K_FAST) ? e % GEMM_TK : e / GEMM_TILE; \
                const int m = m0 + mm, k = k0 + kk; \
                tileA[kk][mm] = (m < (M_SIZE) && k < (K_END)) ? A_AT(m, k) : 0.0f; \
            } \
        } \
        if (fullK && n0 + GEMM_TILE <= (N_SIZE)) { \
            for (int e = tid; e < GEMM_TILE * GEMM_TK; e += GEMM_THREADS) { \
                const int nn = (B_K_FAST) ? e / GEMM_TK : e % GEMM_TILE; \
                const int kk = (B_K_FAST) ? e % GEMM_TK : e / GEMM_TILE; \
                tileB[kk][nn] = B_AT(k0 + kk, n0 + nn); \
            } \
        } else { \
            for (int e = tid; e < GEMM_TILE * GEMM_TK; e += GEMM_THREADS) { \
                const int nn = (B_K_FAST) ? e / GEMM_TK : e % GEMM_TILE; \
                const int kk = (B_K_FAST) ? e % GEMM_TK : e / GEMM_TILE; \
                const int n = n0 + nn, k = k0 + kk; \
                tileB[kk][nn] = (n < (N_SIZE) && k < (K_END)) ? B_AT(k, n) : 0.0f; \
            } \
        } \
        barrier(CLK_LOCAL_MEM_FENCE); \
        GEMM_EACH_ROW(GEMM_LOAD_ROW) \
        for (int kk = 0; kk < GEMM_TK; kk++) { \
            const GEMM_VEC b = GEMM_VLOAD(0, &tileB[kk][tx * GEMM_RB]); \
            GEMM_EACH_ROW(GEMM_MAD_ROW) \
        } \
        GEMM_EACH_ROW(GEMM_SAVE_ROW) \
        barrier(CLK_LOCAL_MEM_FENCE); \
    }

#define GEMM_STORE_ROW(i, M_SIZE, N_SIZE, STORE) { \
        const int m = m0 + ty * GEMM_RB + (i); \
        float row[GEMM_RB]; \
        GEMM_VSTORE(acc##i, 0, row); \
        for (int j = 0; j < GEMM_RB; j++) { \
            const int n = n0 + tx * GEMM_RB + j; \
            if (m < (M_SIZE) && n < (N_SIZE)) { \
                const float v = row[j]; \
                STORE; \
            } \
        } \
    }

// Visits every output of the tile with its row m, column n and accumulator value v.
#if GEMM_RB == 8
#define GEMM_TILE_STORE(M_SIZE, N_SIZE, STORE) \
    GEMM_STORE_ROW(0, M_SIZE, N_SIZE, STORE) GEMM_STORE_ROW(1, M_SIZE, N_SIZE, STORE) \
    GEMM_STORE_ROW(2, M_SIZE, N_SIZE, STORE) GEMM_STORE_ROW(3, M_SIZE, N_SIZE, STORE) \
    GEMM_STORE_ROW(4, M_SIZE, N_SIZE, STORE) GEMM_STORE_ROW(5, M_SIZE, N_SIZE, STORE) \
    GEMM_STORE_ROW(6, M_SIZE, N_SIZE, STORE) GEMM_STORE_ROW(7, M_SIZE, N_SIZE, STORE)
#else
#define GEMM_TILE_STORE(M_SIZE, N_SIZE, STORE) \
    GEMM_STORE_ROW(0, M_SIZE, N_SIZE, STORE) GEMM_STORE_ROW(1, M_SIZE, N_SIZE, STORE) \
    GEMM_STORE_ROW(2, M_SIZE, N_SIZE, STORE) GEMM_STORE_ROW(3, M_SIZE, N_SIZE, STORE)
#endif

// Tree reduction of REDUCE_WG partial values in local memory; every thread gets the total.
inline float reduce_sum(__local float* part, float value)
{
    const int lid = get_local_id(0);
    part[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = REDUCE_WG / 2; stride > 0; stride >>= 1) {
        if (lid < stride)
            part[lid] += part[lid + stride];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = part[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}

inline float reduce_max(__local float* part, float value)
{
    const int lid = get_local_id(0);
    part[lid] = value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int stride = REDUCE_WG / 2; stride > 0; stride >>= 1) {
        if (lid < stride)
            part[lid] = fmax(part[lid], part[lid + stride]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float total = part[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return total;
}
