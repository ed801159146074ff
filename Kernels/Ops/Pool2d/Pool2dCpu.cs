using GpuCnn.Kernels.Cpu;

namespace GpuCnn.Kernels.Ops;

/// <summary>Max and average pooling on the CPU, one (n, c) plane per work item.</summary>
internal sealed unsafe class Pool2dCpu : IParallelJob
{
    private readonly CpuWorkers workers;
    private Pool2dGeometry g;
    private int mode;
    private float* x;
    private float* y;
    private float* dy;
    private float* dx;

    public Pool2dCpu(CpuWorkers workers) => this.workers = workers;

    // x:(N,C,H,W) y:(N,C,P,Q)
    public void MaxForward(in Pool2dGeometry geometry, float* input, float* output) =>
        Launch(0, geometry, input, output, null, null);

    // x:(N,C,H,W) dy:(N,C,P,Q) dx:(N,C,H,W) +=
    public void MaxBackward(in Pool2dGeometry geometry, float* input, float* dOutput, float* dInput) =>
        Launch(1, geometry, input, null, dOutput, dInput);

    public void AvgForward(in Pool2dGeometry geometry, float* input, float* output) =>
        Launch(2, geometry, input, output, null, null);

    public void AvgBackward(in Pool2dGeometry geometry, float* dOutput, float* dInput) =>
        Launch(3, geometry, null, null, dOutput, dInput);

    public void Run(int plane, int worker)
    {
        long inPlane = (long)plane * g.H * g.W, outPlane = (long)plane * g.P * g.Q;
        for (var p = 0; p < g.P; p++)
        {
            var h0 = p * g.StrideH - g.PadH;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KernelH, g.H);
            for (var q = 0; q < g.Q; q++)
            {
                var w0 = q * g.StrideW - g.PadW;
                int ws = Math.Max(w0, 0), we = Math.Min(w0 + g.KernelW, g.W);
                var o = outPlane + p * g.Q + q;
                switch (mode)
                {
                    case 0:
                    {
                        var best = float.NegativeInfinity;
                        for (var h = hs; h < he; h++)
                        {
                            for (var w = ws; w < we; w++)
                            {
                                var v = x[inPlane + h * g.W + w];
                                if (v > best || float.IsNaN(v))
                                {
                                    best = v;
                                }
                            }
                        }

                        y[o] = best;
                        break;
                    }

                    case 1:
                    {
                        var best = float.NegativeInfinity;
                        var at = -1L;
                        for (var h = hs; h < he; h++)
                        {
                            for (var w = ws; w < we; w++)
                            {
                                var index = inPlane + h * g.W + w;
                                if (at < 0 || x[index] > best)
                                {
                                    best = x[index];
                                    at = index;
                                }
                            }
                        }

                        if (at >= 0)
                        {
                            dx[at] += dy[o];
                        }

                        break;
                    }

                    case 2:
                    {
                        var sum = 0f;
                        for (var h = hs; h < he; h++)
                        {
                            for (var w = ws; w < we; w++)
                            {
                                sum += x[inPlane + h * g.W + w];
                            }
                        }

                        y[o] = sum / Divisor(h0, w0);
                        break;
                    }

                    default:
                    {
                        var share = dy[o] / Divisor(h0, w0);
                        for (var h = hs; h < he; h++)
                        {
                            for (var w = ws; w < we; w++)
                            {
                                dx[inPlane + h * g.W + w] += share;
                            }
                        }

                        break;
                    }
                }
            }
        }
    }

    // PyTorch's count_include_pad: the window clipped to the padded input, padding included.
    private int Divisor(int h0, int w0) =>
        (Math.Min(h0 + g.KernelH, g.H + g.PadH) - h0) * (Math.Min(w0 + g.KernelW, g.W + g.PadW) - w0);

    private void Launch(int kind, in Pool2dGeometry geometry, float* input, float* output, float* dOutput,
        float* dInput)
    {
        mode = kind;
        g = geometry;
        x = input;
        y = output;
        dy = dOutput;
        dx = dInput;
        workers.Run(this, g.N * g.C);
    }
}
