using BenchmarkDotNet.Running;

// dotnet run -c Release --project Benchmarks -- --filter '*Gemm*'
// dotnet Benchmarks/bin/Release/net10.0/GpuCnn.Benchmarks.dll sweep [m,n,k,NT ...]   (quick GFLOP/s table)
if (args.Length > 0 && args[0] == "sweep")
{
    GpuCnn.Benchmarks.Gemm.GemmSweep.Run(args[1..]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(GpuCnn.Benchmarks.Gemm.GemmBenchmarks).Assembly).Run(args);
