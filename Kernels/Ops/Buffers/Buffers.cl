// Buffer primitives: fill, copy, add, scale and the partial sums of squares. One work-item per element.

__kernel void buffer_fill(__global float* x, float value, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        x[i] = value;
}

__kernel void buffer_copy(__global const float* x, __global float* y, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        y[i] = x[i];
}

__kernel void buffer_add(__global const float* x, __global float* y, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        y[i] += x[i];
}

__kernel void buffer_scale(__global float* x, float scale, int count)
{
    const int i = get_global_id(0);
    if (i < count)
        x[i] *= scale;
}

// partials[group] = sum of x[i]^2 over the elements this group's work-items visit (grid-stride); the host adds
// the few partials in double precision.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void buffer_sum_of_squares(__global const float* x, __global float* partials, int count)
{
    __local float part[REDUCE_WG];
    float sum = 0.0f;
    for (int i = get_global_id(0); i < count; i += get_global_size(0))
        sum += x[i] * x[i];
    const float total = reduce_sum(part, sum);
    if (get_local_id(0) == 0)
        partials[get_group_id(0)] = total;
}
