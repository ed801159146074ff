// A block of channels between NCHW tensors: channels [srcOffset, srcOffset + channels) of src:(N,srcChannels,inner)
// to [dstOffset, dstOffset + channels) of dst:(N,dstChannels,inner), copied or (accumulate != 0) added. One
// work-item per element of the block; count = N * channels * inner.
__kernel void channel_copy(__global const float* src, __global float* dst, int inner, int channels,
    int srcChannels, int srcOffset, int dstChannels, int dstOffset, int accumulate, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int run = channels * inner, n = i / run, r = i % run;
    const float v = src[(n * srcChannels + srcOffset) * inner + r];
    __global float* out = dst + (n * dstChannels + dstOffset) * inner + r;
    *out = accumulate ? *out + v : v;
}
