using GpuCnn.Models;
using Xunit;

namespace GpuCnn.Tests.Models;

/// <summary>
/// VGG-16 against the lecture notes' layer-by-layer table (seed 003: output volume, memory as a product, weights
/// without biases), the multiply-add count of seed 000 (M x O x O x F x F x d per convolution) and receptive fields
/// counted here along the table.
/// </summary>
public sealed class Vgg16SeedTableTests
{
    // Seed 003's rows: INPUT, CONV3-k, POOL2 and FC, with [H x W x C] and "params".
    private static readonly (string Layer, int H, int W, int C, long Weights)[] Table =
    [
        ("INPUT", 224, 224, 3, 0),
        ("CONV3-64", 224, 224, 64, 1_728),
        ("CONV3-64", 224, 224, 64, 36_864),
        ("POOL2", 112, 112, 64, 0),
        ("CONV3-128", 112, 112, 128, 73_728),
        ("CONV3-128", 112, 112, 128, 147_456),
        ("POOL2", 56, 56, 128, 0),
        ("CONV3-256", 56, 56, 256, 294_912),
        ("CONV3-256", 56, 56, 256, 589_824),
        ("CONV3-256", 56, 56, 256, 589_824),
        ("POOL2", 28, 28, 256, 0),
        ("CONV3-512", 28, 28, 512, 1_179_648),
        ("CONV3-512", 28, 28, 512, 2_359_296),
        ("CONV3-512", 28, 28, 512, 2_359_296),
        ("POOL2", 14, 14, 512, 0),
        ("CONV3-512", 14, 14, 512, 2_359_296),
        ("CONV3-512", 14, 14, 512, 2_359_296),
        ("CONV3-512", 14, 14, 512, 2_359_296),
        ("POOL2", 7, 7, 512, 0),
        ("FC", 1, 1, 4096, 102_760_448),
        ("FC", 1, 1, 4096, 16_777_216),
        ("FC", 1, 1, 1000, 4_096_000),
    ];

    private static readonly string[] TableKinds = ["Input", "Conv2d", "MaxPool2d", "Linear"];

    [Fact]
    public void EveryRowOfTheSeedTableMatches()
    {
        var summary = ModelZoo.Summary("vgg16");
        var rows = summary.Rows.Where(r => TableKinds.Contains(r.Kind)).ToList();
        var weights = summary.Tensors.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal))
            .ToDictionary(t => t.Name[..^".weight".Length], t => (long)t.Shape.Size);

        Assert.Equal(Table.Length, rows.Count);
        for (var i = 0; i < Table.Length; i++)
        {
            var (layer, h, w, c, expected) = Table[i];
            var row = rows[i];
            Assert.Equal(layer.Split('-')[0], row.Kind switch
            {
                "Input" => "INPUT",
                "Conv2d" => "CONV3",
                "MaxPool2d" => "POOL2",
                _ => "FC",
            });
            var volume = row.OutputShape.Rank == 3 ? row.OutputShape.ToVolumeString() : $"1x1x{row.OutputShape[0]}";
            Assert.Equal($"{i}: {h}x{w}x{c}", $"{i}: {volume}");
            Assert.Equal(4L * h * w * c, row.ActivationBytes); // the seed's memory column, in floats
            Assert.Equal(expected, weights.GetValueOrDefault(row.Name));
            if (row.Kind == "Conv2d")
            {
                Assert.Equal(layer, $"CONV3-{c}");
                Assert.Equal("3x3/1 pad 1", row.Details.Split(' ', 2)[1]);
            }
        }

        // "TOTAL params: 138M parameters"; the seed's weights leave out one bias per output unit.
        Assert.Equal(138, (int)Math.Round(summary.TotalParameters / 1e6));
        Assert.Equal(Table.Sum(r => r.Weights) + Table.Skip(1).Where(r => r.Weights > 0).Sum(r => (long)r.C),
            summary.TotalParameters);
    }

    [Fact]
    public void ConvolutionMultiplyAddsFollowTheSeedFormula()
    {
        var convolutions = ModelZoo.Summary("vgg16").Rows.Where(r => r.Kind == "Conv2d").ToList();
        var tableConvolutions = Table.Select((row, i) => (Row: row, In: i > 0 ? Table[i - 1].C : 0))
            .Where(t => t.Row.Layer.StartsWith("CONV", StringComparison.Ordinal)).ToList();

        Assert.Equal(13, convolutions.Count);
        for (var i = 0; i < convolutions.Count; i++)
        {
            // M filters, output O x O, filter F x F over d input channels: M * O * O * F * F * d.
            var (row, d) = tableConvolutions[i];
            long m = row.C, o = row.H, f = 3;
            Assert.Equal(m * o * o * f * f * d, convolutions[i].MultiplyAdds);
        }

        // The first layer: 64 * 224 * 224 * 27 = 86,704,128 multiply-adds (twice that in operations).
        Assert.Equal(86_704_128, convolutions[0].MultiplyAdds);
    }

    [Fact]
    public void ReceptiveFieldsGrowAlongTheThreeByThreeStacks()
    {
        var rows = ModelZoo.Summary("vgg16").Rows.Where(r => TableKinds.Contains(r.Kind)).ToList();
        // Counted along the table: a 3x3 convolution widens the field by 2 input steps, a 2x2/2 pool by 1 and
        // doubles the step; a dense layer sees the whole 224x224 image.
        int field = 1, step = 1;
        for (var i = 0; i < Table.Length; i++)
        {
            (field, step) = Table[i].Layer switch
            {
                "INPUT" => (1, 1),
                "POOL2" => (field + step, step * 2),
                "FC" => (Math.Max(field, 224), step),
                _ => (field + 2 * step, step),
            };
            Assert.Equal((i, field), (i, rows[i].ReceptiveField));
        }

        var lastConvolution = rows.Last(r => r.Kind == "Conv2d");
        var lastPool = rows.Last(r => r.Kind == "MaxPool2d");
        Assert.Equal(196, lastConvolution.ReceptiveField); // conv5_3: 100 + 3 * 2 * 16
        Assert.Equal(212, lastPool.ReceptiveField); // pool5: 196 + 16, VGG-16's often quoted 212
    }

    [Fact]
    public void PaperAlexNetReceptiveFieldsReachTheKnown195AtPool5()
    {
        var summary = ModelZoo.Summary("alexnet-paper");

        Assert.Equal(11, summary.Row("conv1").ReceptiveField);
        Assert.Equal(19, summary.Row("pool1").ReceptiveField); // 11 + 2 * 4
        Assert.Equal(51, summary.Row("conv2").ReceptiveField); // 19 + 4 * 8
        Assert.Equal(163, summary.Row("conv5").ReceptiveField);
        Assert.Equal(195, summary.Row("pool5").ReceptiveField);
    }
}
