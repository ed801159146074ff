// Element-wise activations; kind: 0 = ReLU, 1 = tanh, 2 = sigmoid, 3 = GELU, 4 = SiLU
// (OpenCLAccelerator.ActivationCode, which rejects any other kind before launch). The kind is the same for every
// work-item, so the switch does not diverge.

__kernel void activation_forward(int kind, __global const float* x, __global float* y, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = x[i];
    float r;
    switch (kind)
    {
    case 0: r = fmax(v, 0.0f); break;
    case 1: r = tanh(v); break;
    case 2: r = 1.0f / (1.0f + exp(-v)); break;
    // x Phi(x), Phi(x) = erfc(-x/sqrt(2))/2: no cancelling 1 + erf in the lower tail (as the CPU kernel does).
    case 3: r = v * 0.5f * erfc(-v * M_SQRT1_2_F); break;
    case 4: r = v / (1.0f + exp(-v)); break;
    default: r = NAN; break;
    }
    y[i] = r;
}

// dx += f'(x) * dy. The forward input x and output y both arrive; ReLU, tanh and sigmoid write f' through y, GELU and
// SiLU through x.
__kernel void activation_backward(int kind, __global const float* x, __global const float* y,
    __global const float* dy, __global float* dx, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float v = y[i];
    const float g = dy[i];
    const float u = x[i];
    float d;
    switch (kind)
    {
    case 0: d = v > 0.0f ? g : 0.0f; break;
    case 1: d = g * (1.0f - v * v); break;
    case 2: d = g * v * (1.0f - v); break;
    // Phi(x) + x phi(x), phi(x) = exp(-x^2/2)/sqrt(2 pi)
    case 3: d = g * (0.5f * erfc(-u * M_SQRT1_2_F) + u * exp(-0.5f * u * u) * 0.398942280401432678f); break;
    case 4:
    {
        const float s = 1.0f / (1.0f + exp(-u));
        d = g * s * (1.0f + u * (1.0f - s));
        break;
    }
    default: d = NAN; break;
    }
    dx[i] += d;
}
