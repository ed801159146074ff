using GpuCnn.Datasets;
using GpuCnn.Datasets.Augmentation;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class AugmentationTests
{
    // One 1x3x3 image whose values name their own position: 10 * row + column + 1.
    private static readonly ImageShape Grid = new(1, 3, 3);

    private static float[] GridImage() => [1, 2, 3, 11, 12, 13, 21, 22, 23];

    [Fact]
    public void CropWithPaddingKeepsTheWindowAndFillsZeros()
    {
        var image = GridImage();

        // Padding 1 makes a 5x5 image; the window at (0, 2) starts one row above and one column right of the image.
        RandomCrop.Crop(image, Grid, padding: 1, top: 0, left: 2);

        Assert.Equal([0, 0, 0, 2, 3, 0, 12, 13, 0], image);
    }

    [Fact]
    public void CropWithPaddingTwoAtTheFarCornerMovesTheImageUpAndLeft()
    {
        var image = GridImage();

        RandomCrop.Crop(image, Grid, padding: 2, top: 3, left: 4);

        // The window starts one row below and two columns right of the image: only its right column shows.
        Assert.Equal([13, 0, 0, 23, 0, 0, 0, 0, 0], image);
    }

    [Fact]
    public void CropWithNoPaddingIsTheIdentity()
    {
        var image = GridImage();
        var random = new AugmentationRandom(seed: 5, epoch: 1, index: 2);

        new RandomCrop(padding: 0).Apply(image, Grid, ref random);
        new RandomShift(maxShift: 0).Apply(image, Grid, ref random);

        Assert.Equal(GridImage(), image);
    }

    [Fact]
    public void ShiftMovesEveryChannelAndFillsZeros()
    {
        // Two channels of 2x3; channel 1 is channel 0 plus 100.
        float[] image = [1, 2, 3, 4, 5, 6, 101, 102, 103, 104, 105, 106];

        RandomShift.Shift(image, new ImageShape(2, 2, 3), down: 1, right: -1);

        Assert.Equal([0, 0, 0, 2, 3, 0, 0, 0, 0, 102, 103, 0], image);
    }

    [Fact]
    public void ShiftAlongARowOnlyOverlapsSourceAndTargetCorrectly()
    {
        var image = GridImage();

        RandomShift.Shift(image, Grid, down: 0, right: 2);

        Assert.Equal([0, 0, 1, 0, 0, 11, 0, 0, 21], image);
    }

    [Fact]
    public void ShiftUpReadsEachRowBeforeOverwritingIt()
    {
        var image = GridImage();

        RandomShift.Shift(image, Grid, down: -1, right: 0);

        Assert.Equal([11, 12, 13, 21, 22, 23, 0, 0, 0], image);
    }

    [Fact]
    public void RandomShiftStaysWithinItsRangeAndReachesBothEnds()
    {
        // A single bright pixel in the middle of 5x5 shows where the shift took it.
        var seen = new HashSet<(int Row, int Column)>();
        for (int index = 0; index < 400; index++)
        {
            var image = new float[25];
            image[12] = 1;
            var random = new AugmentationRandom(seed: 3, epoch: 1, index);
            new RandomShift(maxShift: 1).Apply(image, new ImageShape(1, 5, 5), ref random);
            int at = Array.IndexOf(image, 1f);
            seen.Add((at / 5 - 2, at % 5 - 2));
        }

        Assert.Equal(9, seen.Count);
        Assert.All(seen, s => Assert.InRange(Math.Max(Math.Abs(s.Row), Math.Abs(s.Column)), 0, 1));
    }

    [Fact]
    public void FlipMirrorsEachRowAndTwiceIsTheIdentity()
    {
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8];
        var shape = new ImageShape(2, 2, 2);

        RandomHorizontalFlip.Flip(image, shape);
        Assert.Equal([2, 1, 4, 3, 6, 5, 8, 7], image);

        var random = new AugmentationRandom(0, 0, 0);
        var always = new RandomHorizontalFlip(probability: 1);
        always.Apply(image, shape, ref random);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], image);
    }

    [Fact]
    public void FlipWithProbabilityOneHalfFlipsAboutHalfTheImages()
    {
        var flip = new RandomHorizontalFlip();
        int flipped = 0;
        for (int index = 0; index < 1000; index++)
        {
            float[] image = [1, 2];
            var random = new AugmentationRandom(seed: 9, epoch: 2, index);
            flip.Apply(image, new ImageShape(1, 1, 2), ref random);
            flipped += image[0] == 2 ? 1 : 0;
        }

        // Binomial(1000, 0.5) lies within 450..550 with probability above 0.998; the seed fixes the outcome anyway.
        Assert.InRange(flipped, 450, 550);
    }

    [Fact]
    public void NormalizeUsesEachChannelsOwnMeanAndStd()
    {
        float[] image = [0, 1, 0.5f, 1];
        var random = new AugmentationRandom(0, 0, 0);

        new Normalize([0.5f, 0.25f], [0.5f, 0.25f]).Apply(image, new ImageShape(2, 1, 2), ref random);

        Assert.Equal([-1f, 1f, 1f, 3f], image);
    }

    [Fact]
    public void ComposeRunsTheTransformsInOrder()
    {
        // Flip then shift right by one differs from shift then flip ([2, 1, 0, ...]): the order shows in the result.
        var image = GridImage();
        var random = new AugmentationRandom(0, 0, 0);
        var pipeline = new Compose(new RandomHorizontalFlip(1), new CropAt(top: 1, left: 0, padding: 1));

        pipeline.Apply(image, Grid, ref random);

        Assert.Equal([0, 3, 2, 0, 13, 12, 0, 23, 22], image);
    }

    [Fact]
    public void TheSameSeedGivesTheSameAugmentedBatchAndAnotherSeedDoesNot()
    {
        var data = RandomImages(count: 10, channels: 3, size: 8, seed: 1);
        ImageBatcher Make(ulong seed) => new(
            data, batchSize: 4, shuffle: true, seed, Cifar10.Mean, Cifar10.Std,
            new Compose(new RandomCrop(2), new RandomHorizontalFlip(), new RandomShift(1)));

        float[] first = [.. Make(7).Epoch(3).First().Images];
        float[] again = [.. Make(7).Epoch(3).First().Images];
        float[] other = [.. Make(8).Epoch(3).First().Images];
        float[] nextEpoch = [.. Make(7).Epoch(4).First().Images];

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first, nextEpoch);
    }

    [Fact]
    public void AnImagesAugmentationDependsOnItsIndexNotItsPlaceInTheEpoch()
    {
        var data = RandomImages(count: 6, channels: 1, size: 6, seed: 2);
        var transform = new Compose(new RandomCrop(2), new RandomHorizontalFlip());
        var batcher = new ImageBatcher(data, 6, shuffle: true, seed: 11, [0.5f], [0.25f], transform);
        var batch = batcher.CreateBatch();
        var single = batcher.CreateBatch();

        batcher.Fill(batch, epoch: 1, [5, 3, 1, 0, 2, 4]);
        batcher.Fill(single, epoch: 1, [1]);

        Assert.Equal(single.Images[..36], batch.Images[72..108]);
        Assert.Equal(data.Labels[1], single.Labels[0]);
    }

    [Fact]
    public void APadOnlyCropNormalisesThePaddingAsBlack()
    {
        // One 1x1 white image; crop padding 1 at (0, 0) brings in the padding, which is black before normalising.
        var data = new ImageDataset([255], [0], 1, 1, 1, ["only"]);
        var crop = new CropAt(top: 0, left: 0, padding: 1);
        var batcher = new ImageBatcher(data, 1, shuffle: false, seed: 0, [0.5f], [0.5f], crop);

        var batch = batcher.Epoch(0).Single();

        Assert.Equal(-1f, batch.Images[0]);
    }

    [Fact]
    public void WithoutATransformTheBatcherAgreesWithAnIdentityPipeline()
    {
        var data = RandomImages(count: 5, channels: 3, size: 4, seed: 3);
        var plain = new ImageBatcher(data, 5, true, 4, Cifar10.Mean, Cifar10.Std);
        var piped = new ImageBatcher(data, 5, true, 4, Cifar10.Mean, Cifar10.Std, new Compose());

        Assert.Equal(plain.Epoch(1).Single().Images, piped.Epoch(1).Single().Images);
    }

    internal static ImageDataset RandomImages(int count, int channels, int size, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * channels * size * size];
        random.NextBytes(pixels);
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = (byte)(i % 3);
        }
        return new ImageDataset(pixels, labels, channels, size, size, ["a", "b", "c"]);
    }

    // A crop at a fixed place, to see what the batcher does around a transform without depending on the draws.
    private sealed class CropAt(int top, int left, int padding) : ImageTransform
    {
        public override void Apply(Span<float> image, ImageShape shape, ref AugmentationRandom random) =>
            RandomCrop.Crop(image, shape, padding, top, left);
    }
}
