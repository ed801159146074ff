// y:(outer, channels, inner) += bias[c]; one work-item per element.
__kernel void bias_add_forward(__global float* y, __global const float* bias, int channels, int inner, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        y[i] += bias[(i / inner) % channels];
}

// db[c] += sum of dy[o, c] for a dense layer (inner = 1): one work-item per channel walks the rows, so the
// work-items of a group read adjacent channels of the same row.
__kernel void bias_backward_rows(__global const float* dy, __global float* db, int outer, int channels)
{
    const int c = get_global_id(0);
    if (c >= channels)
        return;
    float sum = 0.0f;
    for (int o = 0; o < outer; o++)
        sum += dy[o * channels + c];
    db[c] += sum;
}

// db[c] += sum of dy[o, c, i] over o and i for convolution planes: one work-group per channel, its work-items
// striding through each plane (coalesced) and reducing in local memory.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void bias_backward_planes(__global const float* dy, __global float* db, int outer, int channels, int inner)
{
    __local float part[REDUCE_WG];
    const int c = get_group_id(0);
    float sum = 0.0f;
    for (int o = 0; o < outer; o++) {
        __global const float* plane = dy + (o * channels + c) * inner;
        for (int i = get_local_id(0); i < inner; i += REDUCE_WG)
            sum += plane[i];
    }
    const float total = reduce_sum(part, sum);
    if (get_local_id(0) == 0)
        db[c] += total;
}
