// Nearest-neighbour upsampling by integer factors. x:(N,C,H,W) y:(N,C,H*sh,W*sw). Forward: one work-item per
// output pixel. Backward: one work-item per input pixel, summing its sh x sw block of dy row by row (the CPU's
// order, so both round alike) into a running value started from dx: no atomics.

#define UPSAMPLE_GEOMETRY int H, int W, int sh, int sw, int count

__kernel void upsample2d_forward(UPSAMPLE_GEOMETRY, __global const float* x, __global float* y)
{
    const int o = get_global_id(0);
    if (o >= count)
        return;
    const int OH = H * sh, OW = W * sw;
    const int plane = o / (OH * OW), oh = o / OW % OH, ow = o % OW;
    y[o] = x[(plane * H + oh / sh) * W + ow / sw];
}

// count here is the number of input pixels.
__kernel void upsample2d_backward(UPSAMPLE_GEOMETRY, __global const float* dy, __global float* dx)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int OW = W * sw;
    const int plane = i / (H * W), h = i / W % H, w = i % W;
    __global const float* block = dy + ((plane * H + h) * sh) * OW + w * sw;
    float sum = 0.0f;
    for (int r = 0; r < sh; r++)
        for (int s = 0; s < sw; s++)
            sum += block[r * OW + s];
    dx[i] += sum;
}
