using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;
using Xunit.Abstractions;

namespace GpuCnn.Tests.Kernels;

/// <summary>
/// Every ILGPU kernel compiles to PTX for the GPUs we target, without a GPU: the kernels are found by reflection
/// (every public static method of every class named <c>*IlgpuKernels</c> in the kernels assembly), so a new kernel
/// cannot be missed. A kernel whose first parameter is an <see cref="Index1D"/> is auto-grouped; the others are
/// explicitly grouped.
/// </summary>
public sealed class IlgpuKernelsCompileToPtxTests(ITestOutputHelper output)
{
    /// <summary>Kernel methods of the kernels assembly, found by the naming rule.</summary>
    internal static IReadOnlyList<MethodInfo> Kernels => typeof(GpuCnn.Kernels.Accelerator).Assembly.GetTypes()
        .Where(t => t.IsAbstract && t.IsSealed && t.Name.EndsWith("IlgpuKernels", StringComparison.Ordinal))
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .OrderBy(m => m.DeclaringType!.Name + "." + m.Name, StringComparer.Ordinal)
        .ToList();

    [Fact]
    public void KernelsAreFoundAndEachIsAKernelShape()
    {
        // The op folders this branch fills hold at least these kernel classes; a rename must not hide them.
        var classes = Kernels.Select(m => m.DeclaringType!.Name).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "ActivationIlgpuKernels", "BuffersIlgpuKernels", "ConcatIlgpuKernels", "DenseIlgpuKernels",
            "DropoutIlgpuKernels", "LossIlgpuKernels", "OptimizersIlgpuKernels", "Pad2dIlgpuKernels",
            "SoftmaxIlgpuKernels",
        }, classes);
        Assert.All(Kernels, m => Assert.Equal(typeof(void), m.ReturnType));
        Assert.All(Kernels, m => Assert.DoesNotContain(m.GetParameters(), p => !p.ParameterType.IsValueType));
    }

    [Theory]
    [InlineData("sm_80")]
    [InlineData("sm_90")]
    public void EveryKernelCompilesToPtx(string target)
    {
        var (architecture, instructionSet) = target == "sm_80"
            ? (CudaArchitecture.SM_80, CudaInstructionSet.ISA_70)
            : (CudaArchitecture.SM_90, CudaInstructionSet.ISA_78);

        // NOTE: measured here, ILGPU 1.5.3 writes ".target sm_80" when asked for SM_90; PTX for sm_80 is
        // JIT-compiled by the driver for sm_90 GPUs, so that module serves them. Any other target is an error.
        string[] expectedTargets = target == "sm_80" ? ["sm_80"] : ["sm_90", "sm_80"];
        var failures = new List<string>();
        var compiled = 0;
        var context = NewContext();
        var backend = NewBackend(context, architecture, instructionSet);
        try
        {
            foreach (var kernel in Kernels)
            {
                var name = $"{kernel.DeclaringType!.Name}.{kernel.Name}";
                var implicitlyGrouped = kernel.GetParameters() is [{ ParameterType: var first }, ..] &&
                    first == typeof(Index1D);
                var entry = implicitlyGrouped
                    ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel)
                    : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
                try
                {
                    var ptx = (PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty);
                    Assert.Contains(".entry", ptx.PTXAssembly, StringComparison.Ordinal);
                    var targetLine = ptx.PTXAssembly.Split('\n')
                        .FirstOrDefault(l => l.StartsWith(".target", StringComparison.Ordinal)) ?? "(no .target)";
                    Assert.True(expectedTargets.Any(t => targetLine.Trim() == $".target {t}"),
                        $"{name}: {targetLine}");
                    compiled++;
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    failures.Add($"{name}: {e.GetType().Name}: {e.Message}");

                    // A failed compile leaves the context unusable: start afresh for the next kernel.
                    backend.Dispose();
                    context.Dispose();
                    context = NewContext();
                    backend = NewBackend(context, architecture, instructionSet);
                }
            }
        }
        finally
        {
            backend.Dispose();
            context.Dispose();
        }

        output.WriteLine($"{compiled} of {Kernels.Count} ILGPU kernels compiled to PTX for {target}.");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.Equal(Kernels.Count, compiled);
    }

    private static Context NewContext() => Context.Create(b => b.EnableAlgorithms());

    private static PTXBackend NewBackend(Context context, CudaArchitecture architecture,
        CudaInstructionSet instructionSet) =>
        new(context, new CudaCapabilityContext(architecture), architecture, instructionSet, nvvmAPI: null);
}
