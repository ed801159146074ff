// Row-wise log-softmax, x, y:(rows, columns): one work-group per row, its work-items striding along the row
// (coalesced) and reducing the maximum and the sums in local memory, as softmax does.

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void log_softmax_forward(__global const float* x, __global float* y, int columns)
{
    __local float part[REDUCE_WG];
    const int lid = get_local_id(0);
    __global const float* in = x + get_group_id(0) * columns;
    __global float* out = y + get_group_id(0) * columns;
    float max = -INFINITY;
    for (int c = lid; c < columns; c += REDUCE_WG)
        max = fmax(max, in[c]);
    // Shifted by the row maximum: exp() cannot overflow and the largest term is 1, so the log is of a sum >= 1.
    max = reduce_max(part, max);
    float sum = 0.0f;
    for (int c = lid; c < columns; c += REDUCE_WG)
        sum += exp(in[c] - max);
    const float log_sum = log(reduce_sum(part, sum));
    for (int c = lid; c < columns; c += REDUCE_WG)
        out[c] = (in[c] - max) - log_sum;
}

// dx += dy - exp(y) * sum(dy) per row; exp(y) is the softmax.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void log_softmax_backward(__global const float* y, __global const float* dy, __global float* dx, int columns)
{
    __local float part[REDUCE_WG];
    const int lid = get_local_id(0);
    const int offset = get_group_id(0) * columns;
    float sum = 0.0f;
    for (int c = lid; c < columns; c += REDUCE_WG)
        sum += dy[offset + c];
    sum = reduce_sum(part, sum);
    for (int c = lid; c < columns; c += REDUCE_WG)
        dx[offset + c] += dy[offset + c] - exp(y[offset + c]) * sum;
}
