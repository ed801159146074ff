using Xunit;

namespace GpuCnn.Tests.Hostile;

/// <summary>
/// Runs a reader over many mutated inputs and checks the contract every reader keeps: each input loads or fails with
/// the reader's documented exception, and none allocates more than a bound on the reading thread.
/// </summary>
internal static class Fuzz
{
    /// <summary>What one run saw.</summary>
    public sealed record Outcome(int Loaded, int Rejected, long MostAllocated);

    /// <summary>
    /// Makes <paramref name="cases"/> mutations (case i from seed i), prepares each with <paramref name="prepare"/>
    /// (writing files, not measured) and reads it with the action that returns, measuring what the reading thread
    /// allocates; fails listing the first offending cases.
    /// </summary>
    /// <param name="valid">Valid inputs; case i mutates valid[i % count].</param>
    /// <param name="fields">Header fields of the format (the same offsets for every valid input).</param>
    /// <param name="cases">How many mutations.</param>
    /// <param name="bound">The most bytes reading an input of a given length may allocate.</param>
    /// <param name="prepare">Turns the bytes into the read to measure.</param>
    /// <param name="mutate">A format-aware mutation used for every other case, or null.</param>
    public static Outcome Run<TException>(byte[][] valid, IReadOnlyList<Field> fields, int cases,
        Func<int, long> bound, Func<byte[], Action> prepare,
        Func<byte[], Random, (byte[] Bytes, string What)>? mutate = null)
        where TException : Exception
    {
        var failures = new List<string>();
        int loaded = 0, rejected = 0;
        long most = 0;
        for (var i = 0; i < cases; i++)
        {
            var random = new Random(i);
            var source = valid[i % valid.Length];
            var (bytes, what) = mutate is not null && i % 2 == 1
                ? mutate(source, random)
                : Mutator.Mutate(source, fields, random);
            var read = prepare(bytes);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read();
                loaded++;
            }
            catch (TException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                failures.Add($"case {i} ({what}): {e.GetType().Name}: {e.Message}");
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            most = Math.Max(most, allocated);
            if (allocated > bound(bytes.Length))
            {
                failures.Add($"case {i} ({what}): allocated {allocated:N0} bytes for a {bytes.Length}-byte input, " +
                    $"over the bound {bound(bytes.Length):N0}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n" +
            string.Join("\n", failures.Take(10)));
        // Both outcomes must occur, or the mutations did not reach the reader's checks (or its success path).
        Assert.True(loaded > 0 && rejected > 0, $"loaded {loaded}, rejected {rejected} of {cases}");
        return new Outcome(loaded, rejected, most);
    }
}
