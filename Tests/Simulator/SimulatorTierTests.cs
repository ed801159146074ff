using Xunit;

namespace GpuCnn.Tests.Simulator;

/// <summary>
/// The simulator tier: every OpenCL kernel runs on Oclgrind, a GPU-like simulator that checks each memory access
/// for races between work-items and for reads and writes outside a buffer, which a CPU driver (PoCL runs a
/// group's work-items one after another between barriers) would never show. Each run is a child process (see
/// <see cref="Oclgrind"/>), so the simulator never sees two kernels at once and the runner's own OpenCL tests stay
/// on PoCL.
/// </summary>
public sealed class SimulatorTierTests
{
    /// <summary>Every kernel of the program, on cases from <see cref="KernelCases"/>: no report in the simulator's
    /// log, every kernel run at least once (a kernel added without a case fails here), and the simulator's results
    /// agree with the CPU backend's.</summary>
    [OclgrindFact]
    public void EveryKernelRunsOnTheSimulatorWithoutARaceOrAnInvalidAccess()
    {
        var run = Oclgrind.RunChild("kernels");

        var failures = TierFailures(run);

        Assert.True(failures.Count == 0, string.Join('\n', failures) + "\n" + run.Describe());
    }

    /// <summary>The checks fire: a kernel that reads local memory without a barrier and one that writes past its
    /// buffer, run the same way, fill the log with reports that name them, and the tier's verdict fails.</summary>
    [OclgrindFact]
    public void ARaceAndAnOutOfBoundsWriteAreReportedAndFailTheTier()
    {
        var run = Oclgrind.RunChild("faulty");

        Assert.True(run.ExitCode == 0, run.Describe());
        var reports = run.Reports;
        Assert.Contains(reports, r => r.Kernel == FaultyKernels.RaceKernel &&
            r.Title.StartsWith("Read-write data race at local memory", StringComparison.Ordinal));
        Assert.Contains(reports, r => r.Kernel == FaultyKernels.OutOfBoundsKernel &&
            r.Title.StartsWith("Invalid write of size 4 at global memory", StringComparison.Ordinal));
        Assert.All(reports, r => Assert.Contains(r.Kernel, new[] { FaultyKernels.RaceKernel,
            FaultyKernels.OutOfBoundsKernel }));
        var failures = LogFailures(run);
        Assert.Contains(failures, f => f.Contains(FaultyKernels.RaceKernel, StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains(FaultyKernels.OutOfBoundsKernel, StringComparison.Ordinal));
    }

    /// <summary>With the simulator and the system's drivers (PoCL in CI) both present, <c>auto</c> opens neither
    /// a simulator nor a CPU driver, <c>opencl</c> prefers a real device to the simulator, and <c>gpucnn
    /// devices</c> marks both kinds and names the device <c>auto</c> takes.</summary>
    [OclgrindFact]
    public void AutoSkipsTheSimulatorAndACpuDriverAndDevicesMarksThem()
    {
        var run = Oclgrind.RunChild("choice", withSystemDrivers: true);
        Assert.True(run.ExitCode == 0, run.Describe());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var devices = lines.Where(l => l.StartsWith("device ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', 5)).Select(p => (Index: int.Parse(p[1]), Type: p[2], Simulator: p[3]))
            .ToList();
        Assert.Contains(devices, d => d is { Type: "Gpu", Simulator: "simulator=True" });
        var hardwareGpu = devices.Any(d => d is { Type: "Gpu", Simulator: "simulator=False" });
        var auto = Assert.Single(lines, l => l.StartsWith("auto ", StringComparison.Ordinal));
        Assert.DoesNotContain("Oclgrind", auto, StringComparison.Ordinal);
        Assert.StartsWith(hardwareGpu ? "auto OpenCL " : "auto Cpu ", auto, StringComparison.Ordinal);
        var preferred = int.Parse(Assert.Single(lines, l => l.StartsWith("opencl ", StringComparison.Ordinal))
            .Split(' ')[1]);
        Assert.Equal(devices.Any(d => d.Simulator == "simulator=False"),
            devices.Single(d => d.Index == preferred).Simulator == "simulator=False");

        var listing = Oclgrind.Run(Path.Combine(AppContext.BaseDirectory, "gpucnn.dll"), ["devices"],
            withSystemDrivers: true, TimeSpan.FromMinutes(2));
        Assert.True(listing.ExitCode == 0, listing.Describe());
        var listed = listing.Output.Split('\n');
        Assert.Contains(listed, l => l.Contains("Oclgrind", StringComparison.Ordinal) &&
            l.Contains("type Gpu (simulator)", StringComparison.Ordinal));
        Assert.All(listed.Where(l => l.Contains("type Cpu", StringComparison.Ordinal)),
            l => Assert.Contains("type Cpu (CPU driver)", l, StringComparison.Ordinal));
        if (!hardwareGpu)
        {
            Assert.Contains(listed, l => l.StartsWith("auto      cpu", StringComparison.Ordinal));
        }
    }

    /// <summary>Reports read from a real log the simulator wrote for the faulty kernels (two of its records,
    /// kept verbatim): each becomes one report with its title and kernel; an empty or blank log has none.</summary>
    [Fact]
    public void TheLogReaderFindsEachReportOfARealLog()
    {
        const string log = "\n" +
            "Read-write data race at local memory address 0x1000000000004\n" +
            "\tKernel: faulty_local_race\n" +
            "\t\n" +
            "\tFirst entity:  Global(17,0,0) Local(1,0,0) Group(1,0,0)\n" +
            "\t  store float %conv1, float addrspace(3)* %arrayidx, align 4, !dbg !33, !tbaa !34\n" +
            "\tAt line 5 (column 15) of input.cl:\n" +
            "\t  slot[lid] = (float)lid;\n" +
            "\t\n" +
            "\tSecond entity: Global(16,0,0) Local(0,0,0) Group(1,0,0)\n" +
            "\t  %0 = load float, float addrspace(3)* %arrayidx3, align 4, !dbg !40, !tbaa !34\n" +
            "\tAt line 6 (column 29) of input.cl:\n" +
            "\t  out[get_global_id(0)] = slot[(lid + 1) % 16];\n" +
            "\t\n" +
            "\n" +
            "Invalid write of size 4 at global memory address 0x10000000000b4\n" +
            "\tKernel: faulty_write_past_end\n" +
            "\tEntity: Global(16,0,0) Local(0,0,0) Group(1,0,0)\n" +
            "\t  store float 1.000000e+00, float addrspace(1)* %arrayidx, align 4, !dbg !40, !tbaa !41\n" +
            "\tAt line 12 (column 20) of input.cl:\n" +
            "\t  out[i + count] = 1.0f;\n" +
            "\t\n";

        var reports = OclgrindLog.Parse(log);

        Assert.Equal(2, reports.Count);
        Assert.Equal("Read-write data race at local memory address 0x1000000000004", reports[0].Title);
        Assert.Equal("faulty_local_race", reports[0].Kernel);
        Assert.Contains("Second entity: Global(16,0,0)", reports[0].Text, StringComparison.Ordinal);
        Assert.Equal("Invalid write of size 4 at global memory address 0x10000000000b4", reports[1].Title);
        Assert.Equal("faulty_write_past_end", reports[1].Kernel);
        Assert.EndsWith("out[i + count] = 1.0f;", reports[1].Text, StringComparison.Ordinal);
        Assert.Empty(OclgrindLog.Parse(""));
        Assert.Empty(OclgrindLog.Parse("\n\t\n  \n"));
        Assert.Equal("Some new kind of message", Assert.Single(OclgrindLog.Parse("Some new kind of message\n")).Title);
    }

    /// <summary>The kernels named by the instruction counts the simulator prints after each run of one.</summary>
    [Fact]
    public void TheExecutedKernelsComeFromTheInstructionCounts()
    {
        const string output = "case buffers\nInstructions executed for kernel 'buffer_fill':\n" +
            "              96 - getelementptr\n\nInstructions executed for kernel 'gemm_nt':\n" +
            "Instructions executed for kernel 'buffer_fill':\nnot Instructions executed for kernel 'x':\n";

        Assert.Equal(["buffer_fill", "gemm_nt"], OclgrindLog.ExecutedKernels(output).Order());
    }

    /// <summary>The verdict on a run, from its parts: a clean run with every case and kernel passes; a kernel of
    /// the program the simulator never ran, a case that did not run, a mismatch and a report each fail it.</summary>
    [Fact]
    public void TheVerdictNamesAKernelNoCaseRanAMissingCaseAMismatchAndAReport()
    {
        var cases = string.Concat(KernelCases.All.Select(c => $"case {c.Name}\n"));
        const string counts = "Instructions executed for kernel 'buffer_fill':\n      3 - ret\n" +
            "Instructions executed for kernel 'gemm_nn':\n";
        var clean = new SimulatorRun(0, cases + counts + "program-kernels buffer_fill gemm_nn\n", "", "",
            TimeSpan.Zero);
        Assert.Empty(TierFailures(clean));

        var newKernel = clean with { Output = cases + counts + "program-kernels buffer_fill gemm_nn lrn_forward\n" };
        Assert.Contains("lrn_forward", Assert.Single(TierFailures(newKernel)), StringComparison.Ordinal);

        var firstCase = KernelCases.All[0].Name;
        var missing = clean with { Output = clean.Output.Replace($"case {firstCase}\n", "", StringComparison.Ordinal) };
        Assert.Contains(firstCase, Assert.Single(TierFailures(missing)), StringComparison.Ordinal);

        var mismatch = clean with { ExitCode = 2, Output = clean.Output + "mismatch gemm-nn: 1 of 9 values\n" };
        Assert.Contains("mismatch gemm-nn", Assert.Single(TierFailures(mismatch)), StringComparison.Ordinal);

        var reported = clean with
        {
            Log = "\nInvalid read of size 4 at global memory address 0x10\n\tKernel: gemm_nn\n",
        };
        Assert.Contains("gemm_nn: Invalid read", Assert.Single(TierFailures(reported)), StringComparison.Ordinal);
    }

    /// <summary>Why the tier's run fails: a non-zero exit (a mismatch with the CPU backend), a case that did not
    /// run, a report in the log, or a kernel of the program the simulator never ran.</summary>
    internal static List<string> TierFailures(SimulatorRun run)
    {
        var failures = LogFailures(run);
        var lines = run.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        if (run.ExitCode != 0)
        {
            failures.Add($"The child exited with {run.ExitCode}: " +
                string.Join("; ", lines.Where(l => l.StartsWith("mismatch ", StringComparison.Ordinal))));
        }

        var ran = lines.Where(l => l.StartsWith("case ", StringComparison.Ordinal)).Select(l => l[5..]).ToList();
        var missingCases = KernelCases.All.Select(c => c.Name).Except(ran).ToList();
        if (missingCases.Count > 0)
        {
            failures.Add($"Cases that did not run: {string.Join(", ", missingCases)}.");
        }

        var program = lines.FirstOrDefault(l => l.StartsWith("program-kernels ", StringComparison.Ordinal));
        if (program is null)
        {
            failures.Add("The child did not list the program's kernels.");
            return failures;
        }

        var kernels = program.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        var executed = OclgrindLog.ExecutedKernels(run.Output);
        var notRun = kernels.Where(k => !executed.Contains(k)).ToList();
        if (kernels.Count == 0 || notRun.Count > 0)
        {
            failures.Add($"Kernels of the program that no case ran on the simulator (add a case to " +
                $"Tests/Simulator/KernelCases.cs): {string.Join(", ", notRun)}; {kernels.Count} kernels in all.");
        }

        return failures;
    }

    /// <summary>One failure per report in the simulator's log.</summary>
    internal static List<string> LogFailures(SimulatorRun run) =>
        run.Reports.Select(r => $"Oclgrind reported in kernel {r.Kernel ?? "(none named)"}: {r.Title}\n{r.Text}")
            .ToList();
}
