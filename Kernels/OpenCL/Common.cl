// Shared by every program source that follows. The host compiles all sources as one program, once per device,
// with the device-derived tile sizes below passed as -D options; no problem shape is ever baked in.

// Element-wise kernels must round exactly as the CPU backend does, so no silent a*b+c contraction; the GEMM
// loops ask for mad() explicitly where speed matters more than the last bit.
#pragma OPENCL FP_CONTRACT OFF

#ifndef GEMM_WG
#define GEMM_WG 16        // threads per side of a GEMM work-group
#endif
#ifndef GEMM_RB
#define GEMM_RB 4         // outputs per thread per side (register block)
#endif
#ifndef GEMM_TK
#define GEMM_TK 16        // reduction depth of one local-memory tile
#endif
#ifndef REDUCE_WG
#define REDUCE_WG 128     // work-group size of row and tree reductions (a power of two)
#endif

#define GEMM_TILE (GEMM_WG * GEMM_RB)
#define GEMM_THREADS (GEMM_WG * GEMM_WG)

// The body of every tiled product in the engine: acc[i][j] accumulates op(A)(m, k) * op(B)(k, n) over
// k in [K_BEGIN, K_END) for the GEMM_TILE x GEMM_TILE output tile of this work-group, where row m = m0 + ty +
// i*GEMM_WG and column n = n0 + tx + j*GEMM_WG. A_AT(m, k) and B_AT(k, n) read one operand element (they are
// only evaluated in range); A_K_FAST / B_K_FAST say whether consecutive k are adjacent in memory, so that the
// threads of a work-group load adjacent addresses (coalesced). Columns are strided by GEMM_WG across threads so
// that stores are coalesced too; the +1 row padding keeps local-memory reads free of bank conflicts.
#define GEMM_TILE_LOOP(M_SIZE, N_SIZE, K_BEGIN, K_END, A_AT, A_K_FAST, B_AT, B_K_FAST) \
    __local float tileA[GEMM_TK][GEMM_TILE + 1]; \
    __local float tileB[GEMM_TK][GEMM_TILE + 1]; \
    const int tx = get_local_id(0); \
    const int ty = get_local_id(1); \
    const int tid = ty * GEMM_WG + tx; \
    const int m0 = get_group_id(1) * GEMM_TILE; \
    const int n0 = get_group_id(0) * GEMM_TILE; \
    float acc[GEMM_RB][GEMM_RB]; \
    for (int i = 0; i < GEMM_RB; i++) \
        for (int j = 0; j < GEMM_RB; j++) \
            acc[i][j] = 0.0f; \
    for (int k0 = (K_BEGIN); k0 < (K_END); k0 += GEMM_TK) { \
        for (int e = tid; e < GEMM_TILE * GEMM_TK; e += GEMM_THREADS) { \
            const int mm = (A_K_FAST) ? e / GEMM_TK : e % GEMM_TILE; \
            const int kk = (A_K_FAST) ? e % GEMM_TK : e / GEMM_TILE; \
            const int m = m0 + mm, k = k0 + kk; \
            tileA[kk][mm] = (m < (M_SIZE) && k < (K_END)) ? A_AT(m, k) : 0.0f; \
        } \
        for (int e = tid; e < GEMM_TILE * GEMM_TK; e += GEMM_THREADS) { \
            const int nn = (B_K_FAST) ? e / GEMM_TK : e % GEMM_TILE; \
            const int kk = (B_K_FAST) ? e % GEMM_TK : e / GEMM_TILE; \
            const int n = n0 + nn, k = k0 + kk; \
            tileB[kk][nn] = (n < (N_SIZE) && k < (K_END)) ? B_AT(k, n) : 0.0f; \
        } \
        barrier(CLK_LOCAL_MEM_FENCE); \
        for (int kk = 0; kk < GEMM_TK; kk++) { \
            float a[GEMM_RB], b[GEMM_RB]; \
            for (int i = 0; i < GEMM_RB; i++) \
                a[i] = tileA[kk][ty + i * GEMM_WG]; \
            for (int j = 0; j < GEMM_RB; j++) \
                b[j] = tileB[kk][tx + j * GEMM_WG]; \
            for (int i = 0; i < GEMM_RB; i++) \
                for (int j = 0; j < GEMM_RB; j++) \
                    acc[i][j] = mad(a[i], b[j], acc[i][j]); \
        } \
        barrier(CLK_LOCAL_MEM_FENCE); \
    }

// Visits every output of the tile with its row m, column n and accumulator value v.
#define GEMM_TILE_STORE(M_SIZE, N_SIZE, STORE) \
    for (int i = 0; i < GEMM_RB; i++) { \
        const int m = m0 + ty + i * GEMM_WG; \
        for (int j = 0; j < GEMM_RB; j++) { \
            const int n = n0 + tx + j * GEMM_WG; \
            if (m < (M_SIZE) && n < (N_SIZE)) { \
                const float v = acc[i][j]; \
                STORE; \
            } \
        } \
    }

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
