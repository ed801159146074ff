// Parameter updates, one work-item per parameter, in PyTorch's (and OptimizersCpu's) order of operations.
// Scalars that depend only on the step (Adam's bias corrections) are computed on the host, as the CPU does.

__kernel void sgd_update(__global float* param, __global const float* grad, __global float* velocity, int count,
    float lr, float momentum, float dampening, float decay, int nesterov, int firstStep)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    float d = grad[i] + decay * param[i];
    if (momentum != 0.0f) {
        const float buf = firstStep ? d : momentum * velocity[i] + (1.0f - dampening) * d;
        velocity[i] = buf;
        d = nesterov ? d + momentum * buf : buf;
    }
    param[i] -= lr * d;
}

__kernel void adam_update(__global float* param, __global const float* grad, __global float* m1,
    __global float* m2, int count, float beta1, float beta2, float eps, float decay, float stepSize,
    float correction2Sqrt)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float g = grad[i] + decay * param[i];
    const float m = beta1 * m1[i] + (1.0f - beta1) * g;
    const float v = beta2 * m2[i] + (1.0f - beta2) * g * g;
    m1[i] = m;
    m2[i] = v;
    param[i] -= stepSize * m / (sqrt(v) / correction2Sqrt + eps);
}

__kernel void adadelta_update(__global float* param, __global const float* grad, __global float* squareAvg,
    __global float* accDelta, int count, float lr, float rho, float eps, float decay)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float g = grad[i] + decay * param[i];
    const float square = rho * squareAvg[i] + (1.0f - rho) * g * g;
    squareAvg[i] = square;
    const float delta = sqrt(accDelta[i] + eps) / sqrt(square + eps) * g;
    accDelta[i] = rho * accDelta[i] + (1.0f - rho) * delta * delta;
    param[i] -= lr * delta;
}

// AdamW: keep = 1 - lr*weightDecay (from the host) shrinks the parameter before Adam's step; the gradient never sees
// the decay.
__kernel void adamw_update(__global float* param, __global const float* grad, __global float* m1,
    __global float* m2, int count, float beta1, float beta2, float eps, float keep, float stepSize,
    float correction2Sqrt)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float p = param[i] * keep;
    const float g = grad[i];
    const float m = beta1 * m1[i] + (1.0f - beta1) * g;
    const float v = beta2 * m2[i] + (1.0f - beta2) * g * g;
    m1[i] = m;
    m2[i] = v;
    param[i] = p - stepSize * m / (sqrt(v) / correction2Sqrt + eps);
}

// RMSprop: gradAvg is read only when centered, momentumBuffer only when momentum != 0 (either may be null otherwise).
// The centered variance is clamped at zero where rounding makes it negative (PyTorch's sqrt would give NaN).
__kernel void rmsprop_update(__global float* param, __global const float* grad, __global float* squareAvg,
    __global float* gradAvg, __global float* momentumBuffer, int count, float lr, float alpha, float eps,
    float decay, float momentum, int centered)
{
    const int i = get_global_id(0);
    if (i >= count)
        return;
    const float g = grad[i] + decay * param[i];
    float square = alpha * squareAvg[i] + (1.0f - alpha) * g * g;
    squareAvg[i] = square;
    if (centered) {
        const float mean = alpha * gradAvg[i] + (1.0f - alpha) * g;
        gradAvg[i] = mean;
        square = fmax(square - mean * mean, 0.0f);
    }
    const float avg = sqrt(square) + eps;
    if (momentum != 0.0f) {
        const float buf = momentum * momentumBuffer[i] + g / avg;
        momentumBuffer[i] = buf;
        param[i] -= lr * buf;
    } else {
        param[i] -= lr * g / avg;
    }
}
