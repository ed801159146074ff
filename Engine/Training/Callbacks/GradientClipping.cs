namespace GpuCnn.Engine.Training.Callbacks;

/// <summary>
/// PyTorch's <c>clip_grad_norm_</c> before every update: when the L2 norm of all parameter gradients together
/// exceeds <see cref="MaxNorm"/>, every gradient is scaled by max_norm / (norm + 1e-6). Only the norm is read back.
/// </summary>
public sealed class GradientClipping : TrainingCallback
{
    /// <summary>Clips to <paramref name="maxNorm"/>.</summary>
    public GradientClipping(float maxNorm)
    {
        if (!(maxNorm > 0f) || !float.IsFinite(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The norm bound must be positive.");
        }

        MaxNorm = maxNorm;
    }

    /// <summary>The largest total gradient norm let through.</summary>
    public float MaxNorm { get; }

    /// <summary>The total norm before clipping at the last step.</summary>
    public double LastNorm { get; private set; }

    /// <inheritdoc />
    public override void OnAfterBackward(FitLoop loop) => LastNorm = ClipGradNorm(loop.Optimizer.Parameters, MaxNorm);

    /// <summary>
    /// Clips the gradients of the parameters that require one and returns their total norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IReadOnlyList<Parameter> parameters, float maxNorm)
    {
        double sum = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.RequiresGrad)
            {
                sum += p.Grad.Accelerator.SumOfSquares(p.Grad, p.Length);
            }
        }

        var norm = Math.Sqrt(sum);
        var scale = maxNorm / (norm + 1e-6);
        // NOTE: a NaN norm fails this test and leaves the gradients alone; the loop's loss check stops such runs.
        if (scale < 1)
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (p.RequiresGrad)
                {
                    p.Grad.Accelerator.Scale(p.Grad, (float)scale, p.Length);
                }
            }
        }

        return norm;
    }
}
