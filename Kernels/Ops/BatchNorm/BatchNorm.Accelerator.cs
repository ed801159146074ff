using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

// The checked entry points of batch normalisation and the hooks each backend implements for them.
public abstract partial class Accelerator
{
    /// <summary>
    /// Training-mode batch normalisation: per channel, the mean and biased variance over (N, Inner) normalise x,
    /// y = gamma * (x - mean) * invStd + beta (gamma 1 and beta 0 when null); saveMean and saveInvStd keep
    /// mean and 1/sqrt(var + eps) for backward; the running statistics move by <paramref name="momentum"/>
    /// towards the batch's (the running variance takes the unbiased variance, as PyTorch does).
    /// </summary>
    public void BatchNormForwardTraining(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(y, 0, g.Length, nameof(y));
        CheckChannels(g.C, gamma, beta, saveMean, saveInvStd, runningMean, runningVar);
        if (!(momentum >= 0 && momentum <= 1) || !(eps > 0))
        {
            throw new ArgumentException($"BatchNorm needs momentum in [0, 1] and eps > 0, got {momentum} and {eps}.");
        }

        BatchNormForwardTrainingCore(g, x, gamma, beta, y, saveMean, saveInvStd, runningMean, runningVar, momentum,
            eps);
    }

    /// <summary>Evaluation-mode batch normalisation with the running statistics:
    /// y = gamma * (x - runningMean) / sqrt(runningVar + eps) + beta.</summary>
    public void BatchNormForwardInference(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(y, 0, g.Length, nameof(y));
        CheckChannels(g.C, gamma, beta, runningMean, runningVar);
        if (!(eps > 0))
        {
            throw new ArgumentException($"BatchNorm needs eps > 0, got {eps}.");
        }

        BatchNormForwardInferenceCore(g, x, gamma, beta, runningMean, runningVar, eps, y);
    }

    /// <summary>
    /// Backward of training-mode batch normalisation from the saved statistics: dgamma += sum(dy * xhat),
    /// dbeta += sum(dy), dx += gamma * invStd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)) with M = N*Inner.
    /// Each gradient output may be null when not needed.
    /// </summary>
    public void BatchNormBackward(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer? gamma,
        DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma, DeviceBuffer? dbeta)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(dy, 0, g.Length, nameof(dy));
        if (dx is not null)
        {
            CheckRange(dx, 0, g.Length, nameof(dx));
        }

        CheckChannels(g.C, gamma, saveMean, saveInvStd, dgamma, dbeta);
        BatchNormBackwardCore(g, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps);
    protected abstract void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y);
    protected abstract void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta);
#pragma warning restore CS1591

    // A span, not an array: the check runs in every training step, which must allocate nothing.
    private void CheckChannels(int channels, params ReadOnlySpan<DeviceBuffer?> buffers)
    {
        foreach (var buffer in buffers)
        {
            if (buffer is not null)
            {
                CheckRange(buffer, 0, channels, "per-channel tensor");
            }
        }
    }
}
