// Local response normalisation. x, y, scale, dy, dx:(N, C, inner).

// Local response normalisation, one work-item per element: scale = k + alpha/size * (sum of x^2 over channels
// c - size/2 .. c + (size-1)/2 inside [0, C), in channel order) and y = x * scale^-beta.
__kernel void lrn_forward(__global const float* x, __global float* y, __global float* scale, int C, int inner,
    int size, float alpha, float beta, float k, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int c = i / inner % C;
    const int first = max(c - size / 2, 0), last = min(c + (size - 1) / 2, C - 1);
    __global const float* column = x + (i - c * inner);
    float sum = 0.0f;
    for (int w = first; w <= last; w++) {
        const float v = column[w * inner];
        sum += v * v;
    }
    const float s = k + alpha / (float)size * sum;
    scale[i] = s;
    y[i] = x[i] * powr(s, -beta);
}

// dx_j += dy_j scale_j^-beta - 2 alpha/size beta x_j * (sum of dy_c y_c / scale_c over the channels c whose window
// holds j: c = j - (size-1)/2 .. j + size/2 inside [0, C)); one work-item per element j.
__kernel void lrn_backward(__global const float* x, __global const float* y, __global const float* scale,
    __global const float* dy, __global float* dx, int C, int inner, int size, float alpha, float beta, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int c = i / inner % C;
    const int first = max(c - (size - 1) / 2, 0), last = min(c + size / 2, C - 1);
    const int column = i - c * inner;
    float sum = 0.0f;
    for (int w = first; w <= last; w++) {
        const int at = column + w * inner;
        sum += dy[at] * y[at] / scale[at];
    }
    dx[i] += dy[i] * powr(scale[i], -beta) - 2.0f * alpha / (float)size * beta * x[i] * sum;
}
