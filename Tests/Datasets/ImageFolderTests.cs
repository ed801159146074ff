using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using Xunit;

namespace GpuCnn.Tests.Datasets;

public sealed class ImageFolderTests : IDisposable
{
    private readonly IdxFixture files = new();

    public void Dispose() => files.Dispose();

    private string Put(string relative, Image image)
    {
        string path = Path.Combine(files.Directory, relative);
        Png.Save(image, path);
        return path;
    }

    // A 2x2 RGB image whose pixel (x, y) is (base + x, base + 10 * y, base + 100).
    private static Image Rgb(int value)
    {
        var image = new Image(2, 2, 3);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 2; x++)
            {
                image.Pixels[(y * 2 + x) * 3] = (byte)(value + x);
                image.Pixels[(y * 2 + x) * 3 + 1] = (byte)(value + 10 * y);
                image.Pixels[(y * 2 + x) * 3 + 2] = (byte)(value + 100);
            }
        }
        return image;
    }

    [Fact]
    public void ClassesAreSortedFolderNamesAndPixelsAreChw()
    {
        Put("dog/b.png", Rgb(20));
        Put("dog/a.png", Rgb(10));
        Put("cat/x.png", Rgb(30));
        System.IO.File.WriteAllText(Path.Combine(files.Directory, "dog", "notes.txt"), "not an image");

        var data = ImageFolder.Load(files.Directory);

        Assert.Equal(["cat", "dog"], data.ClassNames);
        Assert.Equal([0, 1, 1], data.Labels);
        Assert.Equal((3, 2, 2), (data.Channels, data.Height, data.Width));
        // dog/a.png is image 1: R plane 10, 11, 10, 11; G plane 10, 10, 20, 20; B plane all 110.
        Assert.Equal([10, 11, 10, 11, 10, 10, 20, 20, 110, 110, 110, 110], data.Image(1).ToArray());
    }

    [Fact]
    public void GreyIsRepeatedToRgbAndRgbReducedToGrey()
    {
        Put("a/grey.png", new Image(1, 1, 1, [77]));
        Put("b/rgba.png", new Image(1, 1, 4, [255, 0, 0, 9]));

        var rgb = ImageFolder.Load(files.Directory, channels: 3);
        var grey = ImageFolder.Load(files.Directory, channels: 1);

        Assert.Equal([77, 77, 77, 255, 0, 0], rgb.Pixels);
        Assert.Equal([77, 76], grey.Pixels); // 0.299 * 255 rounds to 76
    }

    [Fact]
    public void DifferentSizesAreRejectedNamingTheFile()
    {
        Put("a/1.png", Rgb(0));
        string odd = Put("b/1.png", new Image(3, 2, 3));

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(files.Directory));

        Assert.Contains(odd, error.Message);
        Assert.Contains("3x2", error.Message);
        Assert.Contains("2x2", error.Message);
    }

    [Fact]
    public void ResizeTakesNearestPixels()
    {
        // 4x4 grey image of 0..15 halved: pixel centres map to source pixels 1 and 3 of each axis.
        Put("a/big.png", new Image(4, 4, 1, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()));
        Put("b/small.png", new Image(1, 1, 1, [200]));

        var data = ImageFolder.Load(files.Directory, channels: 1, size: (2, 2));

        Assert.Equal([5, 7, 13, 15], data.Image(0).ToArray());
        Assert.Equal([200, 200, 200, 200], data.Image(1).ToArray());
    }

    [Fact]
    public void CorruptPngIsNamed()
    {
        Put("a/good.png", Rgb(0));
        string bad = Path.Combine(files.Directory, "a", "zbad.png");
        System.IO.File.WriteAllBytes(bad, [1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(files.Directory));

        Assert.StartsWith(bad + ":", error.Message);
    }

    [Fact]
    public void EmptyRootIsRejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(files.Directory));

        Assert.Contains("0 class folders", error.Message);
    }
}
