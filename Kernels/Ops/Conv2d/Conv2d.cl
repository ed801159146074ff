// Two algorithms, chosen per op by OpenCLAccelerator (OpenCLConvolution.Auto; GPUCNN_OPENCL_CONV or the
// constructor forces either): implicit GEMM for forward and backward-weight, im2col + GEMM (+ col2im) for
// backward-data. Measured with `gpucnn bench-conv` on PoCL (AMD EPYC, 2 cores shared, load average 13-20),
// batch 64, median ms of 9 calls timed alternately, implicit / im2col, two runs (the second in brackets):
//
//   layer                                 forward                 backward-data             backward-weight
//   lenet5.conv1  1->6  5x5 p2 28x28     32 /   52 ( 21/  35)    218 /  21 ( 168 /  16)     41 /   53 (  32 /   40)
//   lenet5.conv2  6->16 5x5 14x14        17 /   34 ( 20/  34)    159 /  17 (  98 /  10)     23 /   35 (  21 /   35)
//   exercise.conv1 1->64 3x3 s2 28x28     6 /   10 (  3/  12)    942 /  10 ( 740 /  12)     11 /   12 (   8 /    9)
//   exercise.conv2 64->32 2x2 same 13x13 70 /   98 ( 66/ 137)     44 /  47 (  44 /  56)     84 /  139 (  64 /   93)
//   vgg 64->64 3x3 p1 32x32             899 / 1516 (821/1288)   1213 / 811 (1149 / 777)    799 / 1182 (1016 / 1546)
//
// Forward and backward-weight: implicit GEMM wins every layer (1.1x to 4x): it batches all images into one
// product's columns, so a 64-wide tile is wasted only at the end of N*P*Q, and it skips the unfolding pass; the
// explicit path multiplies per image (P*Q columns, often a partial tile) and reduces weight partials afterwards.
// Backward-data: the implicit form makes C/G the tile's rows (1 or 6 of 64 here) and decodes a strided gather
// per loaded element; im2col puts C/G*R*S in the rows and gathers once in col2im: 1.5x to 60x faster, except a
// near tie (implicit up to 1.3x faster) when C/G is 64 and K/G*R*S only 128 (exercise.conv2), not worth a rule.
// LeNet-5 training on the same device (`gpucnn bench --model lenet5 --steps 20 --warmup 5`, median of three
// alternate runs): 199 images/s with implicit GEMM throughout, 460 images/s with this choice.

// Convolution as implicit GEMM: the im2col matrix is never stored; the tile loaders of GEMM_TILE_LOOP gather
// its elements straight from x (or dy) with zero padding. Images are batched into the GEMM's column dimension
// and groups run as the grid's third dimension. Shapes: x:(N,C,H,W) w:(K,C/G,R,S) y:(N,K,P,Q).

#define CONV_GEOMETRY int N, int C, int H, int W, int K, int R, int S, int sh, int sw, int pt, int pl, \
    int dh, int dw, int G, int P, int Q

// col[(c*R + r)*S + s, (n*P + p)*Q + q] of group channels starting at cBase: the im2col matrix of all images.
inline float conv_column(__global const float* x, int row, int col, int C, int H, int W, int R, int S, int sh,
    int sw, int pt, int pl, int dh, int dw, int P, int Q, int cBase)
{
    const int rs = R * S, pq = P * Q;
    const int c = row / rs, r = (row - c * rs) / S, s = row - c * rs - r * S;
    const int n = col / pq, p = (col - n * pq) / Q, q = col - n * pq - p * Q;
    const int ih = p * sh - pt + r * dh, iw = q * sw - pl + s * dw;
    return (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[((n * C + cBase + c) * H + ih) * W + iw] : 0.0f;
}

// y[n, g*Kg + m, p, q] = sum over rows of w[g*Kg + m, row] * col[row, (n, p, q)] + b.
// GEMM: M = K/G, columns = N*P*Q, reduction = C/G*R*S.
#define FWD_A(m, k) w[(kBase + (m)) * crs + (k)]
#define FWD_B(k, n) conv_column(x, k, n, C, H, W, R, S, sh, sw, pt, pl, dh, dw, P, Q, cBase)
__kernel __attribute__((reqd_work_group_size(GEMM_WG, GEMM_WG, 1)))
void conv2d_forward(CONV_GEOMETRY, __global const float* x, __global const float* w, __global const float* b,
    int hasBias, __global float* y)
{
    const int g = get_group_id(2), kg = K / G, cg = C / G, crs = cg * R * S, pq = P * Q;
    const int kBase = g * kg, cBase = g * cg, columns = N * pq;
    GEMM_TILE_LOOP(kg, columns, 0, crs, FWD_A, 1, FWD_B, 0)
    GEMM_TILE_STORE(kg, columns, {
        const int image = n / pq;
        y[(image * K + kBase + m) * pq + n - image * pq] = hasBias ? v + b[kBase + m] : v;
    })
}

// dx[n, g*Cg + m, h, w] += sum over (k, r, s) of w[g*Kg + k, m, r, s] * dy[n, g*Kg + k, p, q] where
// h = p*sh - pt + r*dh and w likewise: a gather, so every dx element has one writer and no atomics are needed.
// GEMM: M = C/G, columns = N*H*W, reduction = K/G*R*S.
inline float conv_output_at(__global const float* dy, int row, int col, int H, int W, int K, int R, int S, int sh,
    int sw, int pt, int pl, int dh, int dw, int P, int Q, int kBase)
{
    const int rs = R * S, hw = H * W;
    const int k = row / rs, r = (row - k * rs) / S, s = row - k * rs - r * S;
    const int n = col / hw, h = (col - n * hw) / W, iw = col - n * hw - h * W;
    const int ph = h + pt - r * dh, pw = iw + pl - s * dw;
    const int p = ph / sh, q = pw / sw;
    return (ph >= 0 && pw >= 0 && p * sh == ph && q * sw == pw && p < P && q < Q)
        ? dy[((n * K + kBase + k) * P + p) * Q + q] : 0.0f;
}

#define BWD_DATA_A(m, k) w[((kBase + (k) / rs) * cg + (m)) * rs + (k) % rs]
#define BWD_DATA_B(k, n) conv_output_at(dy, k, n, H, W, K, R, S, sh, sw, pt, pl, dh, dw, P, Q, kBase)
__kernel __attribute__((reqd_work_group_size(GEMM_WG, GEMM_WG, 1)))
void conv2d_backward_data(CONV_GEOMETRY, __global const float* dy, __global const float* w, __global float* dx)
{
    const int g = get_group_id(2), kg = K / G, cg = C / G, rs = R * S, hw = H * W;
    const int kBase = g * kg, cBase = g * cg, columns = N * hw;
    GEMM_TILE_LOOP(cg, columns, 0, kg * rs, BWD_DATA_A, 1, BWD_DATA_B, 0)
    GEMM_TILE_STORE(cg, columns, {
        const int image = n / hw;
        dx[(image * C + cBase + m) * hw + n - image * hw] += v;
    })
}

// dw[g*Kg + m, row] += sum over (n, p, q) of dy[n, g*Kg + m, p, q] * col[row, (n, p, q)].
// GEMM: M = K/G, columns = C/G*R*S, reduction = N*P*Q, which is long while the output is small, so the reduction
// is split into `splits` ranges of `chunk` (grid dimension 2 = group * splits + split). With one split the result
// adds into the target dw directly; otherwise the target is scratch in which each split writes its own partial,
// and conv2d_sum_partials adds them in order.
#define BWD_FILTER_A(m, k) dy[((k) / pq * K + kBase + (m)) * pq + (k) % pq]
#define BWD_FILTER_B(k, n) conv_column(x, n, k, C, H, W, R, S, sh, sw, pt, pl, dh, dw, P, Q, cBase)
__kernel __attribute__((reqd_work_group_size(GEMM_WG, GEMM_WG, 1)))
void conv2d_backward_filter(CONV_GEOMETRY, __global const float* x, __global const float* dy,
    __global float* target, int splits, int chunk)
{
    const int g = get_group_id(2) / splits, split = get_group_id(2) % splits;
    const int kg = K / G, cg = C / G, crs = cg * R * S, pq = P * Q;
    const int kBase = g * kg, cBase = g * cg;
    const int begin = split * chunk, end = min(begin + chunk, N * pq);
    GEMM_TILE_LOOP(kg, crs, begin, end, BWD_FILTER_A, 1, BWD_FILTER_B, 1)
    if (splits == 1) {
        GEMM_TILE_STORE(kg, crs, target[(kBase + m) * crs + n] += v)
    } else {
        __global float* partial = target + split * K * crs;
        GEMM_TILE_STORE(kg, crs, partial[(kBase + m) * crs + n] = v)
    }
}

// dw[i] += partials[0][i] + partials[1][i] + ... in split order, so the result does not depend on scheduling.
__kernel void conv2d_sum_partials(__global const float* partials, __global float* dw, int splits, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    float sum = 0.0f;
    for (int s = 0; s < splits; s++)
        sum += partials[s * count + i];
    dw[i] += sum;
}

// The explicit path, im2col + GEMM: a chunk of `images` images from n0 is unfolded, for group g, into scratch
// col[(i*crs + row)*pq + pixel] (one crs x pq matrix per image) and multiplied by the strided-batch GEMM kernels.
__kernel void conv2d_im2col(CONV_GEOMETRY, __global const float* x, __global float* col, int colOffset, int n0,
    int images, int g)
{
    const int cg = C / G, crs = cg * R * S, pq = P * Q;
    const int index = get_global_id(0);
    if (index >= images * crs * pq)
        return;
    const int pixel = index % pq, rowOfImage = index / pq;
    const int row = rowOfImage % crs, i = rowOfImage / crs;
    col[colOffset + index] =
        conv_column(x, row, (n0 + i) * pq + pixel, C, H, W, R, S, sh, sw, pt, pl, dh, dw, P, Q, g * cg);
}

// dx[n0 + i, g*Cg + c, h, w] += sum over (r, s) of col[i, (c, r, s), (p, q)] where h = p*sh - pt + r*dh and w
// likewise: the inverse of conv2d_im2col by gathering, so every dx element has one writer and no atomics.
__kernel void conv2d_col2im(CONV_GEOMETRY, __global const float* col, __global float* dx, int n0, int images, int g)
{
    const int cg = C / G, crs = cg * R * S, pq = P * Q, hw = H * W;
    const int index = get_global_id(0);
    if (index >= images * cg * hw)
        return;
    const int iw = index % W, h = index / W % H, c = index / hw % cg, i = index / hw / cg;
    const __global float* image = col + (i * crs + c * R * S) * pq;
    float sum = 0.0f;
    for (int r = 0; r < R; r++) {
        const int ph = h + pt - r * dh, p = ph / sh;
        if (ph < 0 || p * sh != ph || p >= P)
            continue;
        for (int s = 0; s < S; s++) {
            const int pw = iw + pl - s * dw, q = pw / sw;
            if (pw >= 0 && q * sw == pw && q < Q)
                sum += image[(r * S + s) * pq + p * Q + q];
        }
    }
    dx[((n0 + i) * C + g * cg + c) * hw + h * W + iw] += sum;
}
