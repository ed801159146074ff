// Element-wise activations; kind: 0 = ReLU, 1 = tanh, 2 = sigmoid (OpenCLAccelerator.ActivationCode, which rejects
// any other kind before launch). The kind is the same for every work-item, so the switch does not diverge.

__kernel void activation_forward(int kind, __global const float* x, __global float* y, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = x[i];
    y[i] = kind == 0 ? fmax(v, 0.0f) : kind == 1 ? tanh(v) : kind == 2 ? 1.0f / (1.0f + exp(-v)) : NAN;
}

// dx += f'(x) * dy. The forward input x and output y both arrive; ReLU, tanh and sigmoid write f' through y.
__kernel void activation_backward(int kind, __global const float* x, __global const float* y,
    __global const float* dy, __global float* dx, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = y[i];
    const float g = dy[i];
    dx[i] += kind == 0 ? (v > 0.0f ? g : 0.0f) : kind == 1 ? g * (1.0f - v * v) : kind == 2 ? g * v * (1.0f - v)
        : NAN;
}
