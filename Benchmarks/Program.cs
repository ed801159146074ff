using BenchmarkDotNet.Running;

// dotnet run -c Release --project Benchmarks -- --filter '*Gemm*'
BenchmarkSwitcher.FromAssembly(typeof(GpuCnn.Benchmarks.Gemm.GemmBenchmarks).Assembly).Run(args);
