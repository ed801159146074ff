// Max and average pooling. x:(N,C,H,W) y:(N,C,P,Q). Forward: one work-item per output. Backward: one work-item
// per input pixel, gathering from the windows that cover it (in the CPU's p, q order, into a running value
// started from dx), so overlapping windows need no atomics and the sums round as on the CPU.

// include_pad: average pooling's count_include_pad (max pooling ignores it).
#define POOL_GEOMETRY int H, int W, int kh, int kw, int sh, int sw, int ph, int pw, int P, int Q, int include_pad, \
    int count

__kernel void max_pool_forward(POOL_GEOMETRY, __global const float* x, __global float* y)
{
    const int o = get_global_id(0);
    if (o >= count)
        return;
    const int plane = o / (P * Q), p = o / Q % P, q = o % Q;
    const int h0 = p * sh - ph, w0 = q * sw - pw;
    const int hs = max(h0, 0), he = min(h0 + kh, H), ws = max(w0, 0), we = min(w0 + kw, W);
    __global const float* in = x + plane * H * W;
    float best = -INFINITY;
    for (int h = hs; h < he; h++)
        for (int w = ws; w < we; w++) {
            const float v = in[h * W + w];
            // NaN propagates, as in PyTorch.
            best = (v > best || isnan(v)) ? v : best;
        }
    y[o] = best;
}

// The first maximum of the window at (p, q), as an index into the plane.
inline int max_pool_argmax(__global const float* in, int p, int q, int H, int W, int kh, int kw, int sh, int sw,
    int ph, int pw)
{
    const int h0 = p * sh - ph, w0 = q * sw - pw;
    const int hs = max(h0, 0), he = min(h0 + kh, H), ws = max(w0, 0), we = min(w0 + kw, W);
    int at = hs * W + ws;
    float best = in[at];
    for (int h = hs; h < he; h++)
        for (int w = ws; w < we; w++)
            if (in[h * W + w] > best) {
                best = in[h * W + w];
                at = h * W + w;
            }
    return at;
}

// count here is the number of input pixels.
__kernel void max_pool_backward(POOL_GEOMETRY, __global const float* x, __global const float* dy,
    __global float* dx)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int plane = i / (H * W), h = i / W % H, w = i % W;
    const int top = h + ph - kh + 1, left = w + pw - kw + 1;
    const int p0 = top <= 0 ? 0 : (top + sh - 1) / sh, p1 = min((h + ph) / sh, P - 1);
    const int q0 = left <= 0 ? 0 : (left + sw - 1) / sw, q1 = min((w + pw) / sw, Q - 1);
    __global const float* in = x + plane * H * W;
    __global const float* grad = dy + plane * P * Q;
    float value = dx[i];
    for (int p = p0; p <= p1; p++)
        for (int q = q0; q <= q1; q++)
            if (max_pool_argmax(in, p, q, H, W, kh, kw, sh, sw, ph, pw) == h * W + w)
                value += grad[p * Q + q];
    dx[i] = value;
}

// count_include_pad: the window clipped to the padded input, padding included; otherwise only its cells inside
// the input.
inline float avg_pool_divisor(int p, int q, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw,
    int include_pad)
{
    const int h0 = p * sh - ph, w0 = q * sw - pw;
    if (include_pad)
        return (float)((min(h0 + kh, H + ph) - h0) * (min(w0 + kw, W + pw) - w0));
    return (float)((min(h0 + kh, H) - max(h0, 0)) * (min(w0 + kw, W) - max(w0, 0)));
}

__kernel void avg_pool_forward(POOL_GEOMETRY, __global const float* x, __global float* y)
{
    const int o = get_global_id(0);
    if (o >= count)
        return;
    const int plane = o / (P * Q), p = o / Q % P, q = o % Q;
    const int h0 = p * sh - ph, w0 = q * sw - pw;
    const int hs = max(h0, 0), he = min(h0 + kh, H), ws = max(w0, 0), we = min(w0 + kw, W);
    __global const float* in = x + plane * H * W;
    float sum = 0.0f;
    for (int h = hs; h < he; h++)
        for (int w = ws; w < we; w++)
            sum += in[h * W + w];
    y[o] = sum / avg_pool_divisor(p, q, H, W, kh, kw, sh, sw, ph, pw, include_pad);
}

// count here is the number of input pixels.
__kernel void avg_pool_backward(POOL_GEOMETRY, __global const float* dy, __global float* dx)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int plane = i / (H * W), h = i / W % H, w = i % W;
    const int top = h + ph - kh + 1, left = w + pw - kw + 1;
    const int p0 = top <= 0 ? 0 : (top + sh - 1) / sh, p1 = min((h + ph) / sh, P - 1);
    const int q0 = left <= 0 ? 0 : (left + sw - 1) / sw, q1 = min((w + pw) / sw, Q - 1);
    __global const float* grad = dy + plane * P * Q;
    float value = dx[i];
    for (int p = p0; p <= p1; p++)
        for (int q = q0; q <= q1; q++)
            value += grad[p * Q + q] / avg_pool_divisor(p, q, H, W, kh, kw, sh, sw, ph, pw, include_pad);
    dx[i] = value;
}
