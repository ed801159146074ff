using GpuCnn.Cli;
using GpuCnn.Cli.Plotting;
using Xunit;

namespace GpuCnn.Tests.Cli;

public sealed class ConfusionMatrixTests
{
    // Six samples of six classes, worked out by hand: (true class, scores) -> predicted class, rank of the truth.
    private static ConfusionMatrix HandWorked()
    {
        var matrix = new ConfusionMatrix(6);
        matrix.Add([5, 1, 0, 0, 0, 0], 0); // predicted 0, rank 0
        matrix.Add([3, 2, 1, 0, 0, 0], 1); // predicted 0, rank 1
        matrix.Add([0, 0, 1, 9, 8, 7], 2); // predicted 3, rank 3: in the top 5
        matrix.Add([6, 5, 4, 3, 2, 1], 5); // predicted 0, rank 5: outside the top 5
        matrix.Add([2, 2, 0, 0, 0, 0], 1); // a tie goes to the first class: predicted 0, rank 1
        matrix.Add([2, 2, 0, 0, 0, 0], 0); // the same tie: predicted 0, rank 0
        return matrix;
    }

    [Fact]
    public void TopKAndPerClassAccuracyMatchTheHandWorkedCase()
    {
        var matrix = HandWorked();

        Assert.Equal(6, matrix.Total);
        Assert.Equal(2.0 / 6, matrix.TopAccuracy(1), 12);
        Assert.Equal(5.0 / 6, matrix.TopAccuracy(5), 12);
        Assert.Equal(4.0 / 6, matrix.TopAccuracy(2), 12); // ranks 0, 0, 1, 1
        Assert.Equal([2L, 2, 1, 0, 0, 1], Enumerable.Range(0, 6).Select(matrix.ClassTotal));
        Assert.Equal([1.0, 0, 0], Enumerable.Range(0, 3).Select(matrix.ClassAccuracy));
        Assert.True(double.IsNaN(matrix.ClassAccuracy(3)));
        Assert.Equal((2, 2, 1, 1), (matrix[0, 0], matrix[1, 0], matrix[2, 3], matrix[5, 0]));
        Assert.Equal(6, Enumerable.Range(0, 36).Sum(i => matrix[i / 6, i % 6]));
    }

    [Fact]
    public void TheTextReportIsExact()
    {
        var text = HandWorked().Format(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(
            """
            top-1 33.33 %, top-5 83.33 %
            per-class accuracy:
              0 100.00 % of 2
              1   0.00 % of 2
              2   0.00 % of 1
              3        - of 0
              4        - of 0
              5   0.00 % of 1
            confusion matrix (rows: true class, columns: predicted class):
                0 1 2 3 4 5
              0 2 0 0 0 0 0
              1 2 0 0 0 0 0
              2 0 0 0 1 0 0
              3 0 0 0 0 0 0
              4 0 0 0 0 0 0
              5 1 0 0 0 0 0

            """.ReplaceLineEndings(), text);
    }

    [Fact]
    public void NamedClassesLabelTheRowsAndAWideMatrixPointsToThePlot()
    {
        var matrix = new ConfusionMatrix(2);
        matrix.Add([0.9f, 0.1f], 0);
        matrix.Add([0.3f, 0.7f], 0);
        matrix.Add([0.2f, 0.8f], 1);

        var text = matrix.Format(i => i == 0 ? "cat" : "dog").Split(Environment.NewLine);
        var narrow = matrix.Format(i => i == 0 ? "cat" : "dog", width: 10).Split(Environment.NewLine);

        Assert.Equal("top-1 66.67 %", text[0]); // no top-5 for 5 classes or fewer
        Assert.Equal("  0 cat  50.00 % of 2", text[2]);
        Assert.Equal("  1 dog 100.00 % of 1", text[3]);
        Assert.Equal("  0 cat 1 1", text[6]);
        Assert.Equal("confusion matrix: 2 columns do not fit 10 characters; see --plot.", narrow[4]);
    }

    [Fact]
    public void ThePlotShadesEachCellByItsShareOfTheTrueClass()
    {
        var matrix = new ConfusionMatrix(3);
        for (var c = 0; c < 3; c++)
        {
            matrix.Add(c switch { 0 => [1f, 0, 0], 1 => [0, 1f, 0], _ => [0, 0, 1f] }, c);
        }

        var image = ConfusionPlot.Render(matrix, i => $"class {i}", "title");

        Assert.Equal(0xFFFFFFu, ConfusionPlot.Shade(0));
        Assert.Equal(0x08306Bu, ConfusionPlot.Shade(1));
        // (255 + 8) / 2, (255 + 48) / 2 and (255 + 107) / 2, rounded half to even: 132, 152, 181.
        Assert.Equal(0x8498B5u, ConfusionPlot.Shade(0.5));
        var dark = 0;
        for (var i = 0; i < image.Pixels.Length; i += 3)
        {
            dark += image.Pixels[i] == 0x08 && image.Pixels[i + 1] == 0x30 && image.Pixels[i + 2] == 0x6B ? 1 : 0;
        }

        // Three full 48-pixel cells, less the white count drawn in each; the six empty cells stay white.
        Assert.InRange(dark, 3 * (48 * 48 - 100), 3 * 48 * 48);
    }
}
