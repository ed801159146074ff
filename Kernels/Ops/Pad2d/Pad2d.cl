// Explicit padding. x:(N,C,H,W) y:(N,C,OH,OW) with OH = top + H + bottom, OW = left + W + right; mode is
// PaddingMode's value (0 zeros, 1 constant, 2 replicate, 3 reflect, 4 symmetric, 5 circular). Forward: one
// work-item per output. Backward: one work-item per input pixel, gathering the outputs that read it, so that no
// two work-items write one element and no atomics are needed.

#define PAD_GEOMETRY int H, int W, int top, int left, int bottom, int right, int mode, float value, int count

// The input index that position j of an axis of n pixels reads (j counted from the first interior position, so
// j < 0 lies in the border before the input), or -1 for a constant border. As Pad2dCpu.Source.
inline int pad_source(int j, int n, int mode)
{
    if (j >= 0 && j < n)
        return j;
    const bool before = j < 0;
    switch (mode) {
    case 2: return before ? 0 : n - 1;
    case 3: return before ? -j : 2 * (n - 1) - j;
    case 4: return before ? -j - 1 : 2 * n - 1 - j;
    case 5: return before ? j + n : j - n;
    default: return -1;
    }
}

__kernel void pad2d_forward(PAD_GEOMETRY, __global const float* x, __global float* y)
{
    const int o = get_global_id(0);
    if (o >= count)
        return;
    const int OH = top + H + bottom, OW = left + W + right;
    const int plane = o / (OH * OW), oh = o / OW % OH, ow = o % OW;
    const int h = pad_source(oh - top, H, mode), w = pad_source(ow - left, W, mode);
    y[o] = (h < 0 || w < 0) ? (mode == 1 ? value : 0.0f) : x[(plane * H + h) * W + w];
}

// The output positions along one axis that read input pixel i, as three ascending ranges [lo[k], hi[k]) of
// output indices: the border before the input, the interior position, the border after it. Mirrored and wrapped
// borders hold at most one reader each (the amounts are at most the size); a replicated border reads the edge
// pixel from every position.
inline void pad_readers(int i, int n, int before, int after, int mode, int* lo, int* hi)
{
    // j: a reader's position counted from the first interior one; each border starts empty.
    int jb = 0, jbEnd = 0, ja = n, jaEnd = n;
    switch (mode) {
    case 2:
        if (i == 0) {
            jb = -before;
        }
        if (i == n - 1) {
            jaEnd = n + after;
        }
        break;
    case 3:
        if (i >= 1 && i <= before) {
            jb = -i;
            jbEnd = jb + 1;
        }
        if (i <= n - 2 && i > n - 2 - after) {
            ja = 2 * (n - 1) - i;
            jaEnd = ja + 1;
        }
        break;
    case 4:
        if (i < before) {
            jb = -i - 1;
            jbEnd = jb + 1;
        }
        if (i >= n - after) {
            ja = 2 * n - 1 - i;
            jaEnd = ja + 1;
        }
        break;
    case 5:
        if (i >= n - before) {
            jb = i - n;
            jbEnd = jb + 1;
        }
        if (i < after) {
            ja = i + n;
            jaEnd = ja + 1;
        }
        break;
    }
    lo[0] = jb + before;
    hi[0] = jbEnd + before;
    lo[1] = i + before;
    hi[1] = i + before + 1;
    lo[2] = ja + before;
    hi[2] = jaEnd + before;
}

// count here is the number of input pixels. The readers are visited in raster order of dy, as the CPU scatters
// them, so the sums round alike.
__kernel void pad2d_backward(PAD_GEOMETRY, __global const float* dy, __global float* dx)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int OH = top + H + bottom, OW = left + W + right;
    const int plane = i / (H * W), h = i / W % H, w = i % W;
    int rowLo[3], rowHi[3], colLo[3], colHi[3];
    pad_readers(h, H, top, bottom, mode, rowLo, rowHi);
    pad_readers(w, W, left, right, mode, colLo, colHi);
    __global const float* grad = dy + plane * OH * OW;
    float sum = dx[i];
    for (int r = 0; r < 3; r++)
        for (int oh = rowLo[r]; oh < rowHi[r]; oh++)
            for (int c = 0; c < 3; c++)
                for (int ow = colLo[c]; ow < colHi[c]; ow++)
                    sum += grad[oh * OW + ow];
    dx[i] = sum;
}
