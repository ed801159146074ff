// Fused softmax + cross-entropy over logits:(rows, classes), labels:(rows) as floats. One work-group of
// REDUCE_WG work-items takes the rows in turn (rows are a batch and classes few, so one group suffices) and
// reduces the summed loss and the correct count into stats[0] and stats[1]: the only values the host reads.
// The host validates labels; one that is out of range here yields a NaN loss rather than an out-of-bounds write.

__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void softmax_cross_entropy(__global const float* logits, __global const float* labels, int rows, int classes,
    float gradScale, __global float* dlogits, __global float* stats)
{
    __local float part[REDUCE_WG];
    float loss = 0.0f;
    float correct = 0.0f;
    for (int r = get_local_id(0); r < rows; r += REDUCE_WG) {
        __global const float* z = logits + r * classes;
        __global float* d = dlogits + r * classes;
        const float labelValue = labels[r];
        const int label = (int)labelValue;
        const int valid = labelValue >= 0.0f && label < classes;
        float max = z[0];
        int argMax = 0;
        for (int c = 1; c < classes; c++)
            if (z[c] > max) {
                max = z[c];
                argMax = c;
            }
        float sum = 0.0f;
        for (int c = 0; c < classes; c++) {
            const float e = exp(z[c] - max);
            d[c] = e;
            sum += e;
        }
        const float factor = (1.0f / sum) * gradScale;
        for (int c = 0; c < classes; c++)
            d[c] *= factor;
        if (valid) {
            d[label] -= gradScale;
            loss += log(sum) + max - z[label];
            correct += argMax == label ? 1.0f : 0.0f;
        } else {
            loss = NAN;
        }
    }
    loss = reduce_sum(part, loss);
    correct = reduce_sum(part, correct);
    if (get_local_id(0) == 0) {
        stats[0] = loss;
        stats[1] = correct;
    }
}
