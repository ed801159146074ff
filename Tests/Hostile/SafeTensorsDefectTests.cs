using System.Buffers.Binary;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Hostile;

/// <summary>Malformed safetensors headers and checkpoint metadata from the hostile-input report: each is one
/// InvalidDataException naming the file and the key, never a NullReference-, Overflow-, Format- or JsonException.
/// </summary>
[Collection(LimitsCollection.Name)]
public sealed class SafeTensorsDefectTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"gpucnn-st-{Guid.NewGuid():N}");

    public SafeTensorsDefectTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("""[{"w":1}]""", "the JSON header (offset 8) is an array")]
    [InlineData("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'w': shape is missing")]
    [InlineData("""{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}""", "tensor 'w': shape is null")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1]}}""", "tensor 'w': data_offsets is missing")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":null}}""", "tensor 'w': data_offsets is null")]
    [InlineData("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w': dtype is missing")]
    [InlineData("""{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}""", "tensor 'w': dtype is 5")]
    [InlineData("""{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}""", "tensor 'w' is F16")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[4,0]}}""", "tensor 'w': shape[0] is -1")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "tensor 'w': shape[0] is 1.5")]
    [InlineData("""{"w":{"dtype":"F32","shape":[65536,65536,65536],"data_offsets":[0,4]}}""",
        "tensor 'w' has shape (65536, 65536, 65536), more than")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}""", "tensor 'w': data_offsets is")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}}""",
        "tensor 'w': data_offsets is")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", "tensor 'w': data_offsets is")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "run backwards")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "is another size")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", "does not fit the file")]
    [InlineData("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],""" +
        "\"data_offsets\":[4,8]}}", "the header names 'w' twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],""" +
        "\"data_offsets\":[4,8]}}", "tensors 'a' (bytes [0, 8)) and 'b' (bytes [4, 8)) overlap")]
    [InlineData("""{"w":5}""", "tensor 'w' is described by 5")]
    [InlineData("""{"__metadata__":[1]}""", "__metadata__ is an array")]
    [InlineData("""{"__metadata__":{"epoch":3}}""", "__metadata__ entry 'epoch' is 3")]
    [InlineData("{\"w\":", "does not parse")]
    public void AMalformedHeaderIsOneErrorNamingTheFileAndTheKey(string json, string expected)
    {
        var path = Write(json, new byte[8]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));

        Assert.StartsWith($"{path}: not a valid safetensors file: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void AHeaderLengthBeyondTheFileOrOverTheLimitIsRefusedBeforeAllocating()
    {
        var path = Path.Combine(dir, "long.safetensors");
        var bytes = SafeTensorsBytes.Build("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 63);
        File.WriteAllBytes(path, bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains("the header length 9223372036854775808 at offset 0 runs past the end", error.Message);

        var ok = Write("""{"__metadata__":{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}}""", []);
        try
        {
            SafeTensors.MaxHeaderBytes = 16;
            error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(ok));
            Assert.Contains("exceeds the limit of 16 bytes (SafeTensors.MaxHeaderBytes)", error.Message);
        }
        finally
        {
            SafeTensors.MaxHeaderBytes = 100L << 20;
        }

        Assert.Equal("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", SafeTensors.Read(ok).Metadata["a"]);
    }

    [Theory]
    [InlineData("classes", "abc")]
    [InlineData("classes", "2000000000")]
    [InlineData("classes", "1")]
    [InlineData("digits", "x")]
    [InlineData("digits", "3")]
    [InlineData("network_seed", "-1")]
    [InlineData("network_training_steps", "1.5")]
    [InlineData("epoch", "-5")]
    [InlineData("epoch", "three")]
    [InlineData("learning_rate", "fast")]
    [InlineData("learning_rate", "-0.1")]
    [InlineData("learning_rate", "Infinity")]
    [InlineData("seed", "")]
    [InlineData("optimizer_step", "1e3")]
    [InlineData("fit.global_step", "-1")]
    [InlineData("early_stopping.wait", "x")]
    [InlineData("lr_plateau.best", "best")]
    public void ABadMetadataValueIsAnErrorNamingTheFileAndTheKey(string key, string value)
    {
        var path = WriteMetadata(new() { [key] = value });

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadMetadata(path));

        Assert.StartsWith($"{path}: metadata '{key}' is \"{value}\"; it must be ", error.Message);
    }

    [Fact]
    public void OptimizerStateWithoutItsStepCountIsAnError()
    {
        var path = WriteMetadata(new() { ["optimizer"] = "Adam" });

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadMetadata(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("'optimizer_step' is missing", error.Message);
    }

    [Fact]
    public void GoodMetadataPassesAndTheClassLimitIsSettable()
    {
        var path = WriteMetadata(new()
        {
            ["classes"] = "200", ["digits"] = "0,2,5-9", ["epoch"] = "0", ["learning_rate"] = "1E-05",
            ["seed"] = ulong.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["optimizer"] = "Adam", ["optimizer_step"] = "7", ["fit.epoch_loss_sum"] = "NaN",
        });

        Assert.Equal("200", Checkpoint.ReadMetadata(path)["classes"]);
        try
        {
            CheckpointMetadata.MaxClasses = 100;
            var error = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadMetadata(path));
            Assert.Contains("a class count from 2 to 100 (CheckpointMetadata.MaxClasses)", error.Message);
        }
        finally
        {
            CheckpointMetadata.MaxClasses = 100_000;
        }
    }

    [Fact]
    public void AShapeTooLargeForAnIntIsAGraphErrorNamingIt()
    {
        var error = Assert.Throws<GraphException>(() => new Shape(100_000, 100_000).Size);
        Assert.Contains("(100000, 100000)", error.Message);

        // The summary of a head of two billion classes used to end in an OverflowException.
        Assert.Throws<GraphException>(() => ModelZoo.Summary("lenet5", 2_000_000_000).ToText(1));
    }

    [Fact]
    public void StaleTemporaryFilesOfDeadWritersAreRemovedAndALiveWritersAreKept()
    {
        var path = Path.Combine(dir, "ck.safetensors");
        // No process has id int.MaxValue - 1 (Linux allows at most 2^22); process 1 always runs.
        var dead = Path.Combine(dir, $".ck.safetensors.{int.MaxValue - 1}.tmp");
        var live = Path.Combine(dir, ".ck.safetensors.1.tmp");
        var oldLive = Path.Combine(dir, ".other.safetensors.1.tmp");
        var unrelated = Path.Combine(dir, ".ck.safetensors.backup.tmp");
        foreach (var file in new[] { dead, live, oldLive, unrelated })
        {
            File.WriteAllBytes(file, [1, 2, 3]);
        }

        File.SetLastWriteTimeUtc(oldLive, DateTime.UtcNow.AddDays(-2));
        Assert.True(StaleTemporaryFiles.IsAlive(1));
        Assert.False(StaleTemporaryFiles.IsAlive(int.MaxValue - 1));

        SafeTensors.Write(path, [new NamedTensor("w", [1], [1f])], null);

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(unrelated));
        Assert.True(File.Exists(oldLive)); // another path's file waits for a write to that path
        SafeTensors.Write(Path.Combine(dir, "other.safetensors"), [new NamedTensor("w", [1], [1f])], null);
        Assert.False(File.Exists(oldLive)); // its process id is alive, but no write takes two days
        Assert.Equal([1f], SafeTensors.Read(path).Tensors[0].Data);
    }

    private string Write(string json, byte[] data)
    {
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, SafeTensorsBytes.Build(json, data));
        return path;
    }

    private string WriteMetadata(Dictionary<string, string> metadata)
    {
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.safetensors");
        SafeTensors.Write(path, [new NamedTensor("w", [2], [1f, 2f])], metadata);
        return path;
    }
}
