// Inverted dropout with CounterRandom's generator, bit for bit: the value for element i is a hash of the
// seed's two halves and i, so the mask matches the CPU backend's for the same seed.

inline uint counter_mix(uint x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

// mask[i] = 0 with probability p, else scale = 1/(1-p) (computed on the host); y = x * mask.
__kernel void dropout_forward(__global const float* x, __global float* mask, __global float* y, int count,
    float p, float scale, uint seedLow, uint seedHigh)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const uint h = counter_mix(seedLow ^ counter_mix((uint)i ^ seedHigh));
    const float uniform = (float)(h >> 8) * (1.0f / 16777216.0f);
    const float keep = uniform >= p ? scale : 0.0f;
    mask[i] = keep;
    y[i] = x[i] * keep;
}

// dx += dy * mask
__kernel void dropout_backward(__global const float* mask, __global const float* dy, __global float* dx, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        dx[i] += mask[i] * dy[i];
}
