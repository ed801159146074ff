using GpuCnn.Kernels.Ops;

namespace GpuCnn.Kernels;

/// <summary>
/// A compute device: memory, host copies and the engine's op kernels. Public methods check their arguments and
/// forward to the <c>...Core</c> hooks each backend implements. Ops are enqueued in order; only
/// <see cref="CopyToHost"/> and <see cref="Synchronize"/> wait for them.
/// </summary>
/// <remarks>
/// Backward kernels add into their gradient outputs (dX, dW, dB), so a tensor that feeds several consumers
/// collects the sum of their gradients; callers zero gradients before a backward pass.
/// </remarks>
public abstract class Accelerator : IDisposable
{
    private readonly BufferPool pool = new();
    private bool disposed;

    /// <summary>Human-readable device name.</summary>
    public abstract string Name { get; }

    /// <summary>The backend family.</summary>
    public abstract AcceleratorKind Kind { get; }

    /// <summary>Memory the device offers, in bytes.</summary>
    public abstract long MemoryBytes { get; }

    /// <summary>Buffers the backend has created so far; stays constant once a training loop is warm.</summary>
    public long BuffersCreated => pool.Created;

    /// <summary>Bytes held in buffers, live and pooled.</summary>
    public long BytesAllocated => pool.BytesHeld;

    /// <summary>Rents a buffer of <paramref name="length"/> floats; its contents are undefined.</summary>
    public DeviceBuffer Allocate(int length)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return pool.Rent(length, AllocateCore);
    }

    /// <summary>Rents a buffer and fills it with zeros.</summary>
    public DeviceBuffer AllocateZeroed(int length)
    {
        var buffer = Allocate(length);
        Fill(buffer, 0f);
        return buffer;
    }

    /// <summary>Gives a buffer back to the pool for reuse.</summary>
    public void Release(DeviceBuffer buffer)
    {
        CheckOwned(buffer, nameof(buffer));
        pool.Return(buffer);
    }

    /// <summary>Copies host data into <paramref name="destination"/> starting at element <paramref name="offset"/>.
    /// </summary>
    public void CopyFromHost(ReadOnlySpan<float> source, DeviceBuffer destination, int offset = 0)
    {
        CheckRange(destination, offset, source.Length, nameof(destination));
        CopyFromHostCore(source, destination, offset);
    }

    /// <summary>Waits for queued work and copies device data into <paramref name="destination"/>.</summary>
    public void CopyToHost(DeviceBuffer source, Span<float> destination, int offset = 0)
    {
        CheckRange(source, offset, destination.Length, nameof(source));
        CopyToHostCore(source, destination, offset);
    }

    /// <summary>Waits until every queued kernel has finished.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        SynchronizeCore();
    }

    /// <summary>Sets every element of <paramref name="buffer"/> to <paramref name="value"/>.</summary>
    public void Fill(DeviceBuffer buffer, float value)
    {
        CheckOwned(buffer, nameof(buffer));
        FillCore(buffer, value, buffer.Length);
    }

    /// <summary>Copies the first <paramref name="count"/> elements of one device buffer to another.</summary>
    public void Copy(DeviceBuffer source, DeviceBuffer destination, int count)
    {
        CheckRange(source, 0, count, nameof(source));
        CheckRange(destination, 0, count, nameof(destination));
        CopyCore(source, destination, count);
    }

    /// <summary>destination[i] += source[i] for the first <paramref name="count"/> elements.</summary>
    public void AddInto(DeviceBuffer source, DeviceBuffer destination, int count)
    {
        CheckRange(source, 0, count, nameof(source));
        CheckRange(destination, 0, count, nameof(destination));
        AddIntoCore(source, destination, count);
    }

    /// <summary>Sum of squares of the first <paramref name="count"/> elements (synchronises).</summary>
    public double SumOfSquares(DeviceBuffer buffer, int count)
    {
        CheckRange(buffer, 0, count, nameof(buffer));
        return SumOfSquaresCore(buffer, count);
    }

    /// <summary>buffer[i] *= scale for the first <paramref name="count"/> elements.</summary>
    public void Scale(DeviceBuffer buffer, float scale, int count)
    {
        CheckRange(buffer, 0, count, nameof(buffer));
        ScaleCore(buffer, scale, count);
    }

    // ---- convolution ----

    /// <summary>y = conv(x, w) + b. x:(N,C,H,W) w:(K,C/G,R,S) b:(K) or null y:(N,K,P,Q).</summary>
    public void Conv2dForward(in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(w, 0, g.WeightLength, nameof(w));
        if (b is not null)
        {
            CheckRange(b, 0, g.K, nameof(b));
        }

        CheckRange(y, 0, g.OutputLength, nameof(y));
        Conv2dForwardCore(g, x, w, b, y);
    }

    /// <summary>dx += conv_transpose(dy, w). dy:(N,K,P,Q) w:(K,C/G,R,S) dx:(N,C,H,W).</summary>
    public void Conv2dBackwardData(in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(w, 0, g.WeightLength, nameof(w));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        Conv2dBackwardDataCore(g, dy, w, dx);
    }

    /// <summary>dw += correlation of x with dy; db += sum of dy over N, P, Q.
    /// x:(N,C,H,W) dy:(N,K,P,Q) dw:(K,C/G,R,S) db:(K) or null.</summary>
    public void Conv2dBackwardFilter(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dw, 0, g.WeightLength, nameof(dw));
        if (db is not null)
        {
            CheckRange(db, 0, g.K, nameof(db));
        }

        Conv2dBackwardFilterCore(g, x, dy, dw, db);
    }

    // ---- pooling ----

    /// <summary>y = max over each window of x (padding counts as -infinity). x:(N,C,H,W) y:(N,C,P,Q).</summary>
    public void MaxPool2dForward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        CheckPool(g, x, y);
        MaxPool2dForwardCore(g, x, y);
    }

    /// <summary>dx += dy routed to the first maximum of each window (recomputed from x).</summary>
    public void MaxPool2dBackward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx)
    {
        CheckPool(g, x, dy);
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        MaxPool2dBackwardCore(g, x, dy, dx);
    }

    /// <summary>y = mean over each window of x, padding counted as zeros in the divisor (PyTorch's default).</summary>
    public void AvgPool2dForward(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        CheckPool(g, x, y);
        AvgPool2dForwardCore(g, x, y);
    }

    /// <summary>dx += dy spread evenly over each window.</summary>
    public void AvgPool2dBackward(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        AvgPool2dBackwardCore(g, dy, dx);
    }

    // ---- normalisation ----

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

    /// <summary>Local response normalisation (see <see cref="LrnGeometry"/>); scale keeps
    /// K + Alpha/Size * (window sum of squares) per element for backward.</summary>
    public void LrnForward(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(y, 0, g.Length, nameof(y));
        CheckRange(scale, 0, g.Length, nameof(scale));
        LrnForwardCore(g, x, y, scale);
    }

    /// <summary>dx += the gradient of local response normalisation, from x, y, the saved scale and dy.</summary>
    public void LrnBackward(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale, DeviceBuffer dy,
        DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(x, 0, g.Length, nameof(x));
        CheckRange(y, 0, g.Length, nameof(y));
        CheckRange(scale, 0, g.Length, nameof(scale));
        CheckRange(dy, 0, g.Length, nameof(dy));
        CheckRange(dx, 0, g.Length, nameof(dx));
        LrnBackwardCore(g, x, y, scale, dy, dx);
    }

    // ---- padding and concatenation ----

    /// <summary>y = x padded as the geometry's mode says. x:(N,C,H,W) y:(N,C,OutH,OutW).</summary>
    public void Pad2dForward(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(y, 0, g.OutputLength, nameof(y));
        Pad2dForwardCore(g, x, y);
    }

    /// <summary>dx += the sum of dy over every output position that reads each input pixel (constant and zero
    /// borders read none).</summary>
    public void Pad2dBackward(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx)
    {
        g.Validate();
        CheckRange(dy, 0, g.OutputLength, nameof(dy));
        CheckRange(dx, 0, g.InputLength, nameof(dx));
        Pad2dBackwardCore(g, dy, dx);
    }

    /// <summary>Copies (or, with <paramref name="accumulate"/>, adds) a block of channels from src into dst; see
    /// <see cref="ChannelCopyGeometry"/>. src and dst must be different buffers.</summary>
    public void ChannelCopy(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst, bool accumulate)
    {
        g.Validate();
        CheckRange(src, 0, g.SrcLength, nameof(src));
        CheckRange(dst, 0, g.DstLength, nameof(dst));
        if (ReferenceEquals(src, dst))
        {
            throw new ArgumentException("A channel copy needs two different buffers.", nameof(dst));
        }

        ChannelCopyCore(g, src, dst, accumulate);
    }

    // ---- element-wise ----

    /// <summary>y = f(x) for the first <paramref name="count"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not an
    /// <see cref="ActivationKind"/> value.</exception>
    public void ActivationForward(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count)
    {
        ActivationKinds.Check(kind, nameof(kind));
        CheckRange(x, 0, count, nameof(x));
        CheckRange(y, 0, count, nameof(y));
        ActivationForwardCore(kind, x, y, count);
    }

    /// <summary>dx += f'(x) * dy for the first <paramref name="count"/> elements. Both the forward input x and
    /// its output y = f(x) are passed, so each function's derivative reads whichever is cheaper or exact.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not an
    /// <see cref="ActivationKind"/> value.</exception>
    public void ActivationBackward(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy,
        DeviceBuffer dx, int count)
    {
        ActivationKinds.Check(kind, nameof(kind));
        CheckRange(x, 0, count, nameof(x));
        CheckRange(y, 0, count, nameof(y));
        CheckRange(dy, 0, count, nameof(dy));
        CheckRange(dx, 0, count, nameof(dx));
        ActivationBackwardCore(kind, x, y, dy, dx, count);
    }

    /// <summary>Row-wise softmax. x, y:(rows, columns).</summary>
    public void SoftmaxForward(DeviceBuffer x, DeviceBuffer y, int rows, int columns)
    {
        CheckRange(x, 0, rows * columns, nameof(x));
        CheckRange(y, 0, rows * columns, nameof(y));
        SoftmaxForwardCore(x, y, rows, columns);
    }

    /// <summary>dx += y * (dy - sum(dy * y)) per row.</summary>
    public void SoftmaxBackward(DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns)
    {
        CheckRange(y, 0, rows * columns, nameof(y));
        CheckRange(dy, 0, rows * columns, nameof(dy));
        CheckRange(dx, 0, rows * columns, nameof(dx));
        SoftmaxBackwardCore(y, dy, dx, rows, columns);
    }

    /// <summary>
    /// Inverted dropout: mask[i] = 0 with probability <paramref name="p"/>, else 1/(1-p); y = x * mask.
    /// The mask is a pure function of (<paramref name="seed"/>, i), so a run is reproducible on any backend.
    /// </summary>
    public void DropoutForward(DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed)
    {
        if (!(p >= 0f && p < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        }

        CheckRange(x, 0, count, nameof(x));
        CheckRange(mask, 0, count, nameof(mask));
        CheckRange(y, 0, count, nameof(y));
        DropoutForwardCore(x, mask, y, count, p, seed);
    }

    /// <summary>dx += dy * mask.</summary>
    public void DropoutBackward(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count)
    {
        CheckRange(mask, 0, count, nameof(mask));
        CheckRange(dy, 0, count, nameof(dy));
        CheckRange(dx, 0, count, nameof(dx));
        DropoutBackwardCore(mask, dy, dx, count);
    }

    // ---- dense ----

    /// <summary>
    /// C = alpha * op(A) * op(B) + beta * C, row-major, with op(A):(m,k), op(B):(k,n), C:(m,n). A transposed
    /// operand is stored as its transpose ((k,m) for A, (n,k) for B). beta = 0 overwrites C.
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a, DeviceBuffer b,
        float beta, DeviceBuffer c)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"GEMM sizes must not be negative: m={m} n={n} k={k}.");
        }

        CheckRange(a, 0, m * k, nameof(a));
        CheckRange(b, 0, k * n, nameof(b));
        CheckRange(c, 0, m * n, nameof(c));
        GemmCore(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /// <summary>y[o, c, i] += bias[c] for y:(outer, channels, inner) — a dense layer has inner = 1.</summary>
    public void BiasAddForward(DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner)
    {
        CheckRange(y, 0, outer * channels * inner, nameof(y));
        CheckRange(bias, 0, channels, nameof(bias));
        BiasAddForwardCore(y, bias, outer, channels, inner);
    }

    /// <summary>db[c] += sum of dy[o, c, i] over o and i.</summary>
    public void BiasAddBackward(DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner)
    {
        CheckRange(dy, 0, outer * channels * inner, nameof(dy));
        CheckRange(db, 0, channels, nameof(db));
        BiasAddBackwardCore(dy, db, outer, channels, inner);
    }

    // ---- loss ----

    /// <summary>
    /// Fused softmax and cross-entropy over logits:(rows, classes) with labels:(rows) holding class indices as
    /// floats. Writes dlogits = (softmax - onehot) * <paramref name="gradScale"/> and, into stats[0] and stats[1],
    /// the summed loss and the number of rows whose arg-max equals the label.
    /// </summary>
    public void SoftmaxCrossEntropy(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats)
    {
        CheckRange(logits, 0, rows * classes, nameof(logits));
        CheckRange(labels, 0, rows, nameof(labels));
        CheckRange(dlogits, 0, rows * classes, nameof(dlogits));
        CheckRange(stats, 0, 2, nameof(stats));
        SoftmaxCrossEntropyCore(logits, labels, rows, classes, gradScale, dlogits, stats);
    }

    // ---- optimizers ----

    /// <summary>One SGD update of <paramref name="count"/> parameters; velocity is used when momentum &gt; 0.</summary>
    public void SgdUpdate(in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count)
    {
        CheckRange(param, 0, count, nameof(param));
        CheckRange(grad, 0, count, nameof(grad));
        if (s.Momentum != 0f)
        {
            ArgumentNullException.ThrowIfNull(velocity);
            CheckRange(velocity, 0, count, nameof(velocity));
        }

        SgdUpdateCore(s, param, grad, velocity, count);
    }

    /// <summary>One Adam update with first and second moment buffers m and v.</summary>
    public void AdamUpdate(in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m,
        DeviceBuffer v, int count)
    {
        if (s.Step < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(s), s.Step, "Adam's step counts from 1.");
        }

        CheckRange(param, 0, count, nameof(param));
        CheckRange(grad, 0, count, nameof(grad));
        CheckRange(m, 0, count, nameof(m));
        CheckRange(v, 0, count, nameof(v));
        AdamUpdateCore(s, param, grad, m, v, count);
    }

    /// <summary>One Adadelta update with the running averages of squared gradients and squared updates.</summary>
    public void AdadeltaUpdate(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer squareAvg,
        DeviceBuffer accDelta, int count)
    {
        CheckRange(param, 0, count, nameof(param));
        CheckRange(grad, 0, count, nameof(grad));
        CheckRange(squareAvg, 0, count, nameof(squareAvg));
        CheckRange(accDelta, 0, count, nameof(accDelta));
        AdadeltaUpdateCore(s, param, grad, squareAvg, accDelta, count);
    }

    /// <summary>Frees every buffer it created, live or pooled, and its native handles.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var buffer in pool.Drain())
        {
            FreeCore(buffer);
        }

        DisposeCore();
        GC.SuppressFinalize(this);
    }

#pragma warning disable CS1591 // The hooks mirror the documented public methods above.
    protected abstract DeviceBuffer AllocateCore(int length);
    protected abstract void FreeCore(DeviceBuffer buffer);
    protected abstract void DisposeCore();
    protected abstract void CopyFromHostCore(ReadOnlySpan<float> source, DeviceBuffer destination, int offset);
    protected abstract void CopyToHostCore(DeviceBuffer source, Span<float> destination, int offset);
    protected abstract void SynchronizeCore();
    protected abstract void FillCore(DeviceBuffer buffer, float value, int count);
    protected abstract void CopyCore(DeviceBuffer source, DeviceBuffer destination, int count);
    protected abstract void AddIntoCore(DeviceBuffer source, DeviceBuffer destination, int count);
    protected abstract double SumOfSquaresCore(DeviceBuffer buffer, int count);
    protected abstract void ScaleCore(DeviceBuffer buffer, float scale, int count);
    protected abstract void Conv2dForwardCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer? b, DeviceBuffer y);
    protected abstract void Conv2dBackwardDataCore(
        in Conv2dGeometry g, DeviceBuffer dy, DeviceBuffer w, DeviceBuffer dx);
    protected abstract void Conv2dBackwardFilterCore(
        in Conv2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dw, DeviceBuffer? db);
    protected abstract void MaxPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void MaxPool2dBackwardCore(
        in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer dy, DeviceBuffer dx);
    protected abstract void AvgPool2dForwardCore(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void AvgPool2dBackwardCore(in Pool2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
    protected abstract void ActivationForwardCore(ActivationKind kind, DeviceBuffer x, DeviceBuffer y, int count);
    protected abstract void ActivationBackwardCore(
        ActivationKind kind, DeviceBuffer x, DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int count);
    protected abstract void SoftmaxForwardCore(DeviceBuffer x, DeviceBuffer y, int rows, int columns);
    protected abstract void SoftmaxBackwardCore(
        DeviceBuffer y, DeviceBuffer dy, DeviceBuffer dx, int rows, int columns);
    protected abstract void DropoutForwardCore(
        DeviceBuffer x, DeviceBuffer mask, DeviceBuffer y, int count, float p, ulong seed);
    protected abstract void DropoutBackwardCore(DeviceBuffer mask, DeviceBuffer dy, DeviceBuffer dx, int count);
    protected abstract void GemmCore(bool transA, bool transB, int m, int n, int k, float alpha, DeviceBuffer a,
        DeviceBuffer b, float beta, DeviceBuffer c);
    protected abstract void BiasAddForwardCore(DeviceBuffer y, DeviceBuffer bias, int outer, int channels, int inner);
    protected abstract void BiasAddBackwardCore(DeviceBuffer dy, DeviceBuffer db, int outer, int channels, int inner);
    protected abstract void SoftmaxCrossEntropyCore(DeviceBuffer logits, DeviceBuffer labels, int rows, int classes,
        float gradScale, DeviceBuffer dlogits, DeviceBuffer stats);
    protected abstract void SgdUpdateCore(
        in SgdSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer? velocity, int count);
    protected abstract void AdamUpdateCore(
        in AdamSettings s, DeviceBuffer param, DeviceBuffer grad, DeviceBuffer m, DeviceBuffer v, int count);
    protected abstract void AdadeltaUpdateCore(in AdadeltaSettings s, DeviceBuffer param, DeviceBuffer grad,
        DeviceBuffer squareAvg, DeviceBuffer accDelta, int count);
    protected abstract void BatchNormForwardTrainingCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer y, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer runningMean,
        DeviceBuffer runningVar, float momentum, float eps);
    protected abstract void BatchNormForwardInferenceCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer? gamma,
        DeviceBuffer? beta, DeviceBuffer runningMean, DeviceBuffer runningVar, float eps, DeviceBuffer y);
    protected abstract void BatchNormBackwardCore(in BatchNormGeometry g, DeviceBuffer x, DeviceBuffer dy,
        DeviceBuffer? gamma, DeviceBuffer saveMean, DeviceBuffer saveInvStd, DeviceBuffer? dx, DeviceBuffer? dgamma,
        DeviceBuffer? dbeta);
    protected abstract void LrnForwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale);
    protected abstract void LrnBackwardCore(in LrnGeometry g, DeviceBuffer x, DeviceBuffer y, DeviceBuffer scale,
        DeviceBuffer dy, DeviceBuffer dx);
    protected abstract void Pad2dForwardCore(in Pad2dGeometry g, DeviceBuffer x, DeviceBuffer y);
    protected abstract void Pad2dBackwardCore(in Pad2dGeometry g, DeviceBuffer dy, DeviceBuffer dx);
    protected abstract void ChannelCopyCore(in ChannelCopyGeometry g, DeviceBuffer src, DeviceBuffer dst,
        bool accumulate);
#pragma warning restore CS1591

    private void CheckPool(in Pool2dGeometry g, DeviceBuffer x, DeviceBuffer y)
    {
        g.Validate();
        CheckRange(x, 0, g.InputLength, nameof(x));
        CheckRange(y, 0, g.OutputLength, nameof(y));
    }

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

    private void CheckOwned(DeviceBuffer buffer, string name)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (!ReferenceEquals(buffer.Accelerator, this))
        {
            throw new ArgumentException(
                $"Buffer '{name}' belongs to {buffer.Accelerator.Name}, not to {Name}.", name);
        }

        if (buffer.IsReleased)
        {
            throw new ObjectDisposedException(name, $"Buffer '{name}' was released to the pool and must not be used.");
        }
    }

    private void CheckRange(DeviceBuffer buffer, int offset, int count, string name)
    {
        CheckOwned(buffer, name);
        if (offset < 0 || count < 0 || (long)offset + count > buffer.Length)
        {
            throw new ArgumentException(
                $"Buffer '{name}' holds {buffer.Length} floats; the op needs elements [{offset}, {offset + count}).",
                name);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
