// Element-wise activations; kind: 0 = ReLU, 1 = tanh, 2 = sigmoid (ActivationKind). The kind is the same for
// every work-item, so the switch does not diverge.

__kernel void activation_forward(int kind, __global const float* x, __global float* y, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = x[i];
    y[i] = kind == 0 ? fmax(v, 0.0f) : kind == 1 ? tanh(v) : 1.0f / (1.0f + exp(-v));
}

// dx += f'(x) * dy with f' written through the forward output y.
__kernel void activation_backward(int kind, __global const float* y, __global const float* dy, __global float* dx,
    int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = y[i];
    const float g = dy[i];
    dx[i] += kind == 0 ? (v > 0.0f ? g : 0.0f) : kind == 1 ? g * (1.0f - v * v) : g * v * (1.0f - v);
}
