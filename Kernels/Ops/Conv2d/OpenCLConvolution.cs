namespace GpuCnn.Kernels.OpenCL;

/// <summary>How the OpenCL backend computes a convolution.</summary>
public enum OpenCLConvolution
{
    /// <summary>The measured per-shape rule (see the top of <c>Conv2d.cl</c>); the environment variable
    /// <c>GPUCNN_OPENCL_CONV</c> (<c>implicit</c> or <c>im2col</c>) overrides it.</summary>
    Auto,

    /// <summary>Implicit GEMM: the tile loaders gather the unfolded input on the fly; no scratch.</summary>
    ImplicitGemm,

    /// <summary>im2col into scratch sized to a chunk of images, then the strided-batch GEMM kernels.</summary>
    Im2col,
}
