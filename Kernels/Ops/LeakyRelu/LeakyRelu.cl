// The leaky ReLU, PyTorch's leaky_relu: y = x > 0 ? x : slope * x. Backward tests x > 0 too, so at x = 0 the
// gradient is scaled by the slope (leaky_relu_backward's convention).

__kernel void leaky_relu_forward(__global const float* x, __global float* y, int count, float slope)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = x[i];
    y[i] = v > 0.0f ? v : v * slope;
}

// dx += x > 0 ? dy : slope * dy
__kernel void leaky_relu_backward(__global const float* x, __global const float* dy, __global float* dx, int count,
    float slope)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float g = dy[i];
    dx[i] += x[i] > 0.0f ? g : g * slope;
}
