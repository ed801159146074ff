using System.Diagnostics;
using System.Globalization;
using GpuCnn.Tests.Datasets;
using Xunit;

namespace GpuCnn.Tests.Cli;

/// <summary>
/// Two hosts, simulated: two network namespaces joined by a veth pair, one rank in each, Open MPI's TCP transport
/// between them (as between machines: <c>--mca btl tcp,self</c>, the interfaces chosen by subnet), started by
/// mpirun from the first namespace through a remote-shell agent that enters the namespace a hostfile address
/// names. The two ranks must end where one process ends, as on loopback. The namespaces go when the test ends,
/// passed or failed.
/// </summary>
public sealed class MpiTwoHostTests : IDisposable
{
    private readonly IdxFixture data = new();
    private readonly string tag = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    private readonly int subnet = 64 + Environment.ProcessId % 128;

    private string HostA => "gcnA" + tag;

    private string HostB => "gcnB" + tag;

    private string AddressA => $"10.231.{subnet}.1";

    private string AddressB => $"10.231.{subnet}.2";

    [TwoHostFact]
    public void RanksInTwoNamespacesOverTcpEndWithinOneMillionthOfOneProcess()
    {
        Gpucnn.WriteTinyMnist(data, train: 1280, test: 64);
        var one = Path.Combine(data.Directory, "one.safetensors");
        var (code, output, error) = Gpucnn.Run(MpiTrainTests.TrainArgs(data.Directory, one, one + ".json"));
        Assert.True(code == 0, output + error);

        Connect();
        var hostfile = Path.Combine(data.Directory, "hostfile");
        File.WriteAllLines(hostfile, [$"{AddressA} slots=1", $"{AddressB} slots=1"]);
        var agent = Path.Combine(data.Directory, "netns-agent.sh");
        File.WriteAllText(agent, $$"""
            #!/bin/sh
            # mpirun's remote shell for hosts that are network namespaces: netns-agent.sh [options] HOST COMMAND
            while case "$1" in -*) true ;; *) false ;; esac; do shift; done
            case "$1" in
                {{AddressA}}) ns={{HostA}} ;;
                {{AddressB}}) ns={{HostB}} ;;
                *) echo "netns-agent.sh: unknown host $1" >&2; exit 1 ;;
            esac
            shift
            exec ip netns exec "$ns" sh -c "$*"

            """);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var two = Path.Combine(data.Directory, "two.safetensors");
        string[] mpi = ["netns", "exec", HostA, Mpirun.Path!, .. Mpirun.Common, "-np", "2", "--hostfile", hostfile,
            "--map-by", "node", "--mca", "plm_rsh_agent", agent, "--mca", "btl", "tcp,self",
            "--mca", "btl_tcp_if_include", $"10.231.{subnet}.0/24", "--mca", "oob_tcp_if_include",
            $"10.231.{subnet}.0/24"];
        var (mpiCode, mpiOutput) = Mpirun.Run(mpi, MpiTrainTests.TrainArgs(data.Directory, two, two + ".json"),
            TimeSpan.FromSeconds(90), program: "ip");
        Assert.True(mpiCode == 0, mpiOutput);
        Assert.Contains("Data-parallel over 2 MPI ranks (1 on this host)", mpiOutput, StringComparison.Ordinal);
        MpiTrainTests.AssertSameRun(one, two);
    }

    public void Dispose()
    {
        Ip("netns", "delete", HostA);
        Ip("netns", "delete", HostB);
        data.Dispose();
    }

    // Two namespaces, each with loopback up and one end of a veth pair addressed in a /24 of their own.
    private void Connect()
    {
        Assert.Equal(0, Ip("netns", "add", HostA));
        Assert.Equal(0, Ip("netns", "add", HostB));
        Assert.Equal(0, Ip("link", "add", "gva" + tag, "netns", HostA, "type", "veth", "peer", "name", "gvb" + tag,
            "netns", HostB));
        foreach (var (ns, link, address) in new[] { (HostA, "gva" + tag, AddressA), (HostB, "gvb" + tag, AddressB) })
        {
            Assert.Equal(0, Ip("-n", ns, "addr", "add", address + "/24", "dev", link));
            Assert.Equal(0, Ip("-n", ns, "link", "set", link, "up"));
            Assert.Equal(0, Ip("-n", ns, "link", "set", "lo", "up"));
        }
    }

    private static int Ip(params string[] args)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}

/// <summary>An MPI fact that also needs root and iproute2's <c>ip</c> (to make network namespaces); skips and says
/// so without them.</summary>
internal sealed class TwoHostFactAttribute : FactAttribute
{
    public TwoHostFactAttribute()
    {
        Skip = new MpiFactAttribute().Skip;
        if (Skip is null && Mpirun.Path is not null && (Environment.UserName != "root" ||
            !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")))
        {
            Skip = "Simulating two hosts needs root and iproute2 (ip netns); this test did not run.";
        }
    }
}
