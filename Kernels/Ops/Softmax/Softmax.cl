// Row-wise softmax, x, y:(rows, columns): one work-group per row, its work-items striding along the row
// (coalesced) and reducing the maximum and the sums in local memory.

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void softmax_forward(__global const float* x, __global float* y, int columns)
{
    __local float part[REDUCE_WG];
    const int lid = get_local_id(0);
    __global const float* in = x + get_group_id(0) * columns;
    __global float* out = y + get_group_id(0) * columns;
    float max = -INFINITY;
    for (int c = lid; c < columns; c += REDUCE_WG)
        max = fmax(max, in[c]);
    // Shifted by the row maximum so that large logits cannot overflow exp().
    max = reduce_max(part, max);
    float sum = 0.0f;
    for (int c = lid; c < columns; c += REDUCE_WG) {
        const float e = exp(in[c] - max);
        out[c] = e;
        sum += e;
    }
    sum = reduce_sum(part, sum);
    for (int c = lid; c < columns; c += REDUCE_WG)
        out[c] = out[c] / sum;
}

// dx += y * (dy - sum(dy * y)) per row.
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void softmax_backward(__global const float* y, __global const float* dy, __global float* dx, int columns)
{
    __local float part[REDUCE_WG];
    const int lid = get_local_id(0);
    const int offset = get_group_id(0) * columns;
    float dot = 0.0f;
    for (int c = lid; c < columns; c += REDUCE_WG)
        dot += dy[offset + c] * y[offset + c];
    dot = reduce_sum(part, dot);
    for (int c = lid; c < columns; c += REDUCE_WG)
        dx[offset + c] += y[offset + c] * (dy[offset + c] - dot);
}
