namespace GpuCnn.Kernels.Cpu.Gemm;

/// <summary>
/// A compile-time integer (or flag, 0 / 1) carried by a struct type argument. The JIT specialises generic code per
/// struct instantiation and folds <c>T.Value</c> to a constant, so one micro-kernel source yields a fully unrolled
/// variant for every tile height without hand-written copies.
/// </summary>
internal interface IConstant
{
    /// <summary>The constant.</summary>
    static abstract int Value { get; }
}

#pragma warning disable CS1591 // The names say everything: Rn.Value == n.
internal readonly struct R0 : IConstant { public static int Value => 0; }
internal readonly struct R1 : IConstant { public static int Value => 1; }
internal readonly struct R2 : IConstant { public static int Value => 2; }
internal readonly struct R3 : IConstant { public static int Value => 3; }
internal readonly struct R4 : IConstant { public static int Value => 4; }
internal readonly struct R5 : IConstant { public static int Value => 5; }
internal readonly struct R6 : IConstant { public static int Value => 6; }
internal readonly struct R7 : IConstant { public static int Value => 7; }
internal readonly struct R8 : IConstant { public static int Value => 8; }
internal readonly struct R9 : IConstant { public static int Value => 9; }
internal readonly struct R10 : IConstant { public static int Value => 10; }
internal readonly struct R11 : IConstant { public static int Value => 11; }
internal readonly struct R12 : IConstant { public static int Value => 12; }
internal readonly struct R13 : IConstant { public static int Value => 13; }
internal readonly struct R14 : IConstant { public static int Value => 14; }
#pragma warning restore CS1591
