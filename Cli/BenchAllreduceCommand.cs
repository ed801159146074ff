using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GpuCnn.Engine.Distributed;

namespace GpuCnn.Cli;

/// <summary><c>mpirun -np N gpucnn bench-allreduce</c>: the time of an in-place float sum across the ranks (MPI's
/// non-blocking allreduce, waited on at once) per message size, the median of several runs, as algorithm bandwidth
/// (bytes / time) and bus bandwidth (2(N-1)/N x bytes / time, what a ring moves per link); the last line is JSON.
/// </summary>
internal static class BenchAllreduceCommand
{
    public static Command Create()
    {
        var sizes = new Option<double[]>("--sizes-mb")
        {
            Description = "Message sizes in MiB",
            DefaultValueFactory = _ => [0.0625, 1, 4, 25, 100],
            AllowMultipleArgumentsPerToken = true,
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed sums per size (median reported)",
            DefaultValueFactory = _ => 10,
        }.AtLeast(1);
        sizes.Validators.Add(result =>
        {
            if ((result.GetValueOrDefault<double[]>() ?? []).Any(mb => mb is <= 0 or > 1024))
            {
                result.AddError("--sizes-mb must be above 0 and at most 1024 each.");
            }
        });
        var command = new Command("bench-allreduce",
            "Measure the allreduce bandwidth among the ranks of an mpirun job") { sizes, repeats };
        command.SetAction(parse => Run(parse.GetValue(sizes)!, parse.GetValue(repeats)));
        return command;
    }

    private static int Run(double[] sizes, int repeats)
    {
        if (!MpiEnvironment.IsLaunched)
        {
            Console.Error.WriteLine("bench-allreduce measures among MPI ranks: start it with mpirun, e.g. " +
                "mpirun -np 2 dotnet gpucnn.dll bench-allreduce.");
            return 2;
        }

        using var world = new MpiCommunicator();
        var c = CultureInfo.InvariantCulture;
        var results = new List<string>();
        foreach (var mb in sizes)
        {
            var count = (int)Math.Max(1, mb * (1 << 20) / 4);
            var seconds = Measure(world, count, repeats);
            var bytes = 4.0 * count;
            var algorithm = bytes / seconds / 1e9;
            var bus = algorithm * 2 * (world.Size - 1) / world.Size;
            if (world.IsRoot)
            {
                Console.WriteLine(string.Create(c, $"{bytes / (1 << 20),9:F3} MiB x {world.Size} ranks: " +
                    $"{seconds * 1e3,9:F3} ms, algorithm {algorithm,6:F2} GB/s, bus {bus,6:F2} GB/s"));
            }

            results.Add(string.Create(c, $"{{\"mib\": {bytes / (1 << 20):F4}, \"ms\": {seconds * 1e3:F4}, " +
                $"\"algorithm_gbps\": {algorithm:F3}, \"bus_gbps\": {bus:F3}}}"));
        }

        if (world.IsRoot)
        {
            Console.WriteLine($"{{\"ranks\": {world.Size}, \"allreduce\": [{string.Join(", ", results)}]}}");
        }

        return 0;
    }

    // The median seconds of one sum of count floats, after one untimed sum; every rank checks the sum it got.
    private static double Measure(Communicator world, int count, int repeats)
    {
        var buffer = GC.AllocateArray<float>(count, pinned: true);
        var times = new List<double>();
        for (var r = 0; r <= repeats; r++)
        {
            Array.Fill(buffer, 1f);
            var clock = Stopwatch.StartNew();
            world.Wait(world.StartSum(buffer, count));
            if (r > 0)
            {
                times.Add(clock.Elapsed.TotalSeconds);
            }

            if (buffer[0] != world.Size || buffer[^1] != world.Size)
            {
                throw new InvalidOperationException(
                    $"The sum of 1 over {world.Size} ranks came out as {buffer[0]} and {buffer[^1]}.");
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
