// y:(outer, channels, inner) += bias[c]; one work-item per element.
__kernel void bias_add_forward(__global float* y, __global const float* bias, int channels, int inner, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        y[i] += bias[(i / inner) % channels];
}

// db[c] += sum of dy[o, c] for a dense layer (inner = 1): one work-item per channel walks the rows, so the
// work-items of a group read adjacent channels of the same row.
__kernel void bias_backward_rows(__global const float* dy, __global float* db, int outer, int channels)
{
    const int c = get_global_id(0);
    if (c >= channels)
        return;
    float sum = 0.0f;
    for (int o = 0; o < outer; o++)
        sum += dy[o * channels + c];
    db[c] += sum;
}

// db[c] += sum of dy[o, c, i] over o and i for convolution planes: one work-group per channel, its work-items
// striding through each plane (coalesced) and reducing in local memory.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void bias_backward_planes(__global const float* dy, __global float* db, int outer, int channels, int inner)
{
    __local float part[REDUCE_WG];
    const int c = get_group_id(0);
    float sum = 0.0f;
    for (int o = 0; o < outer; o++) {
        __global const float* plane = dy + (o * channels + c) * inner;
        for (int i = get_local_id(0); i < inner; i += REDUCE_WG)
            sum += plane[i];
    }
    const float total = reduce_sum(part, sum);
    if (get_local_id(0) == 0)
        db[c] += total;
}

// C = alpha * op(A) * op(B) + beta * C, row-major; op(A):(M,K) op(B):(K,N) C:(M,N). A transposed operand is
// stored as its transpose. Launched on a (ceil(N/GEMM_TILE)*GEMM_WG, ceil(M/GEMM_TILE)*GEMM_WG, batch) grid:
// product z of a strided batch reads A at aOffset + z*aStride (likewise B and C), so that the convolution can
// run one product per image of a chunk in one launch; a plain GEMM passes offsets and strides of zero.

#define GEMM_A_N(m, k) a[(m) * K + (k)]
#define GEMM_A_T(m, k) a[(k) * M + (m)]
#define GEMM_B_N(k, n) b[(k) * N + (n)]
#define GEMM_B_T(k, n) b[(n) * K + (k)]

// beta == 0 overwrites C without reading it, so NaN or garbage in C does not leak through (BLAS semantics).
#define GEMM_KERNEL(NAME, A_AT, A_K_FAST, B_AT, B_K_FAST) \
__kernel __attribute__((reqd_work_group_size(GEMM_WG, GEMM_WG, 1))) \
void NAME(int M, int N, int K, float alpha, __global const float* a, int aOffset, int aStride, \
          __global const float* b, int bOffset, int bStride, float beta, __global float* c, int cOffset, \
          int cStride) \
{ \
    const int z = get_group_id(2); \
    a += aOffset + z * aStride; \
    b += bOffset + z * bStride; \
    c += cOffset + z * cStride; \
    GEMM_TILE_LOOP(M, N, 0, K, A_AT, A_K_FAST, B_AT, B_K_FAST) \
    GEMM_TILE_STORE(M, N, \
        c[m * N + n] = beta == 0.0f ? alpha * v : alpha * v + beta * c[m * N + n]) \
}

GEMM_KERNEL(gemm_nn, GEMM_A_N, 1, GEMM_B_N, 0)
GEMM_KERNEL(gemm_nt, GEMM_A_N, 1, GEMM_B_T, 1)
GEMM_KERNEL(gemm_tn, GEMM_A_T, 0, GEMM_B_N, 0)
GEMM_KERNEL(gemm_tt, GEMM_A_T, 0, GEMM_B_T, 1)
