using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuCnn.Tests.Hostile;

/// <summary>Safetensors files built from a JSON header and raw data, and a mutation of the header's JSON tokens.
/// </summary>
internal static partial class SafeTensorsBytes
{
    /// <summary>The file: header length (8 bytes, little-endian), the JSON padded with spaces, the data.</summary>
    public static byte[] Build(string json, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + padded);
        return bytes;
    }

    /// <summary>A valid checkpoint-like file: three F32 tensors and the metadata train writes.</summary>
    public static byte[] Checkpoint() => Build(
        """
        {"__metadata__":{"format":"gpucnn","model":"lenet5","epoch":"3","classes":"5","digits":"0,1,2,3,4",
        "learning_rate":"0.001","seed":"42","network_seed":"42","network_training_steps":"120","optimizer":"Adam",
        "optimizer_step":"120","fit.global_step":"120","fit.step_in_epoch":"0","fit.history":"[]",
        "lr_plateau.best":"0.25","early_stopping.wait":"1"},
        "conv.weight":{"dtype":"F32","shape":[2,1,2,2],"data_offsets":[0,32]},
        "conv.bias":{"dtype":"F32","shape":[2],"data_offsets":[32,40]},
        "fc.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[40,64]}}
        """, Floats(16));

    /// <summary>A valid file of F64 and I64 tensors, as PyTorch writes running statistics and counters.</summary>
    public static byte[] Wide() => Build(
        """
        {"bn.running_mean":{"dtype":"F64","shape":[3],"data_offsets":[0,24]},
        "bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[24,32]}}
        """, Floats(8));

    /// <summary>The header-length field.</summary>
    public static readonly Field[] Fields = [new(0, 8, BigEndian: false)];

    private static readonly string[] HostileTokens =
    [
        "0", "-1", "2147483648", "9223372036854775808", "18446744073709551616", "1e400", "-0.5", "\"x\"", "null",
        "[]", "{}", "[1,2,3]", "[-1]", "[0,0]", "[4,0]", "\"F16\"", "true", "\"-5\"", "\"abc\"", "\"2000000000\"",
        "\"NaN\"", "\"[{}]\"", "\"[null]\"", "\"\"",
    ];

    /// <summary>Replaces one JSON token of the header (a number, a string, an array) with a hostile one, or
    /// deletes one entry, and rewrites the header length to match.</summary>
    public static (byte[] Bytes, string What) MutateJson(byte[] valid, Random random)
    {
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var json = Encoding.UTF8.GetString(valid, 8, length);
        var data = valid[(8 + length)..];
        var tokens = Token().Matches(json);
        var token = tokens[random.Next(tokens.Count)];
        string replacement, what;
        if (random.Next(5) == 0 && token.Value.StartsWith('"'))
        {
            // Drop the key and what follows up to the next comma: a missing field.
            var end = json.IndexOf(',', token.Index);
            replacement = "";
            what = $"dropped from {token.Value}";
            json = end < 0 ? json : json[..token.Index] + json[(end + 1)..];
        }
        else
        {
            replacement = HostileTokens[random.Next(HostileTokens.Length)];
            what = $"{token.Value} at {token.Index} replaced by {replacement}";
            json = json[..token.Index] + replacement + json[(token.Index + token.Length)..];
        }

        return (Build(json, data), what);
    }

    private static byte[] Floats(int count)
    {
        var bytes = new byte[count * 4];
        for (var i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), i * 0.25f - 1);
        }

        return bytes;
    }

    [GeneratedRegex("""-?\d+(\.\d+)?([eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"|\[[^\[\]{}]*\]""")]
    private static partial Regex Token();
}
