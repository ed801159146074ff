// Batch normalisation. x, y, dy, dx:(N, C, inner); per-channel tensors (C).
// Optional buffers (gamma, beta, gradients) come with a has* flag; a null buffer is never read.

// Kahan-compensated running sum of one work-item: its share of a channel can be long (a batch of large planes
// over a few hundred work-items), and the compensation keeps the share's error near one rounding, so that the
// tree in local memory that follows is the only other source of error.
inline void kahan_add(float* sum, float* compensation, float value)
{
    const float y = value - *compensation;
    const float t = *sum + y;
    *compensation = (t - *sum) - y;
    *sum = t;
}

// Training-mode batch normalisation, one work-group per channel: the mean, then the biased variance about it (two
// passes, each a compensated sum per work-item and a tree across the group), then y = (x - mean) * scale + beta.
// Work-item 0 saves mean and 1/sqrt(var + eps) and moves the running statistics, the variance unbiased as in
// PyTorch (biased when the channel holds a single value).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void batch_norm_forward_training(__global const float* x, __global const float* gamma, int hasGamma,
    __global const float* beta, int hasBeta, __global float* y, __global float* saveMean,
    __global float* saveInvStd, __global float* runningMean, __global float* runningVar, int N, int C, int inner,
    float momentum, float eps)
{
    __local float part[REDUCE_WG];
    const int c = get_group_id(0), lid = get_local_id(0);
    const int count = N * inner;

    // The mean sums deviations from the channel's first value, so that the one rounding of a value far from zero
    // comes last: a mean of 5 is then within half an ulp, as the CPU backend's is.
    const float shift = x[c * inner];
    float sum = 0.0f, compensation = 0.0f;
    for (int n = 0; n < N; n++) {
        __global const float* plane = x + (n * C + c) * inner;
        for (int i = lid; i < inner; i += REDUCE_WG)
            kahan_add(&sum, &compensation, plane[i] - shift);
    }
    const float mean = shift + reduce_sum(part, sum - compensation) / (float)count;

    sum = 0.0f;
    compensation = 0.0f;
    for (int n = 0; n < N; n++) {
        __global const float* plane = x + (n * C + c) * inner;
        for (int i = lid; i < inner; i += REDUCE_WG) {
            const float d = plane[i] - mean;
            kahan_add(&sum, &compensation, d * d);
        }
    }
    const float squares = reduce_sum(part, sum - compensation);
    const float variance = squares / (float)count;
    const float invStd = 1.0f / sqrt(variance + eps);
    if (lid == 0) {
        const float unbiased = count > 1 ? squares / (float)(count - 1) : variance;
        saveMean[c] = mean;
        saveInvStd[c] = invStd;
        runningMean[c] = (1.0f - momentum) * runningMean[c] + momentum * mean;
        runningVar[c] = (1.0f - momentum) * runningVar[c] + momentum * unbiased;
    }

    const float scale = (hasGamma ? gamma[c] : 1.0f) * invStd;
    const float offset = hasBeta ? beta[c] : 0.0f;
    for (int n = 0; n < N; n++) {
        const int base = (n * C + c) * inner;
        for (int i = lid; i < inner; i += REDUCE_WG)
            y[base + i] = (x[base + i] - mean) * scale + offset;
    }
}

// Evaluation-mode batch normalisation with the running statistics; one work-item per element.
__kernel void batch_norm_forward_inference(__global const float* x, __global const float* gamma, int hasGamma,
    __global const float* beta, int hasBeta, __global const float* runningMean, __global const float* runningVar,
    __global float* y, int C, int inner, float eps, int count)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const int c = i / inner % C;
    const float scale = (hasGamma ? gamma[c] : 1.0f) / sqrt(runningVar[c] + eps);
    y[i] = (x[i] - runningMean[c]) * scale + (hasBeta ? beta[c] : 0.0f);
}

// Backward of training-mode batch normalisation, one work-group per channel: the sums of dy and dy * (x - mean)
// (compensated per work-item, then a tree), then dgamma += invStd * sum(dy (x - mean)), dbeta += sum(dy) and
// dx += gamma invStd ((dy - mean(dy)) - (x - mean) invStd^2 sum(dy (x - mean)) / M).
__kernel __attribute__((reqd_work_group_size(REDUCE_WG, 1, 1)))
void batch_norm_backward(__global const float* x, __global const float* dy, __global const float* gamma,
    int hasGamma, __global const float* saveMean, __global const float* saveInvStd, __global float* dx, int hasDx,
    __global float* dgamma, int hasDgamma, __global float* dbeta, int hasDbeta, int N, int C, int inner)
{
    __local float part[REDUCE_WG];
    const int c = get_group_id(0), lid = get_local_id(0);
    const int count = N * inner;
    const float mean = saveMean[c], invStd = saveInvStd[c];
    float sumDy = 0.0f, compensationDy = 0.0f, sumDyXmu = 0.0f, compensationDyXmu = 0.0f;
    for (int n = 0; n < N; n++) {
        const int base = (n * C + c) * inner;
        for (int i = lid; i < inner; i += REDUCE_WG) {
            const float g = dy[base + i];
            kahan_add(&sumDy, &compensationDy, g);
            kahan_add(&sumDyXmu, &compensationDyXmu, g * (x[base + i] - mean));
        }
    }
    const float totalDy = reduce_sum(part, sumDy - compensationDy);
    const float totalDyXmu = reduce_sum(part, sumDyXmu - compensationDyXmu);
    if (lid == 0) {
        if (hasDgamma)
            dgamma[c] += invStd * totalDyXmu;
        if (hasDbeta)
            dbeta[c] += totalDy;
    }

    if (!hasDx)
        return;
    const float k = (hasGamma ? gamma[c] : 1.0f) * invStd;
    const float meanDy = totalDy / (float)count;
    const float projection = invStd * invStd * totalDyXmu / (float)count;
    for (int n = 0; n < N; n++) {
        const int base = (n * C + c) * inner;
        for (int i = lid; i < inner; i += REDUCE_WG)
            dx[base + i] += k * ((dy[base + i] - meanDy) - (x[base + i] - mean) * projection);
    }
}
