namespace GpuCnn.Datasets;

/// <summary>
/// CIFAR-10 in its binary distribution: <c>data_batch_1.bin</c> to <c>data_batch_5.bin</c> for training and
/// <c>test_batch.bin</c>, each a run of 3073-byte records: one label byte, then the 32x32 red plane, green plane and
/// blue plane, row-major.
/// </summary>
public static class Cifar10
{
    /// <summary>Side of every image.</summary>
    public const int Side = 32;

    /// <summary>Bytes per record: the label and 3 * 32 * 32 pixels.</summary>
    public const int RecordSize = 1 + 3 * Side * Side;

    /// <summary>The training files, in the order their images are concatenated.</summary>
    public static readonly IReadOnlyList<string> TrainFiles =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>The test file.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>Class names by label.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>Per-channel (R, G, B) mean of the training pixels scaled to [0, 1].</summary>
    public static readonly IReadOnlyList<float> Mean = [0.4914f, 0.4822f, 0.4465f];

    /// <summary>Per-channel (R, G, B) standard deviation of the training pixels scaled to [0, 1].</summary>
    public static readonly IReadOnlyList<float> Std = [0.2470f, 0.2435f, 0.2616f];

    /// <summary>Loads the five training batches and the test batch from <paramref name="dataDir"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it, the record and the offset.
    /// </exception>
    public static (ImageDataset Train, ImageDataset Test) Load(string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        var batches = TrainFiles.Select(name => ReadBatch(Require(dataDir, name))).ToList();
        var pixels = new byte[batches.Sum(b => b.Pixels.Length)];
        var labels = new byte[batches.Sum(b => b.Count)];
        int images = 0;
        foreach (var batch in batches)
        {
            batch.Pixels.CopyTo(pixels, (long)images * batch.ImageSize);
            batch.Labels.CopyTo(labels, images);
            images += batch.Count;
        }
        var train = new ImageDataset(pixels, labels, 3, Side, Side, ClassNames);
        return (train, ReadBatch(Require(dataDir, TestFile)));
    }

    /// <summary>Loads only the test batch from <paramref name="dataDir"/>, as an evaluation needs.</summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; see <see cref="ReadBatch"/>.</exception>
    public static ImageDataset LoadTest(string dataDir)
    {
        ArgumentNullException.ThrowIfNull(dataDir);
        return ReadBatch(Require(dataDir, TestFile));
    }

    /// <summary>Reads one batch file.</summary>
    /// <exception cref="InvalidDataException">The file is empty or larger than an array holds, its length is not a
    /// whole number of records, or a label is outside 0..9; the message names the file, the record and its offset.
    /// </exception>
    public static ImageDataset ReadBatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        long length = new FileInfo(path).Length;
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{path}: the file is {length} bytes, more than one batch array holds ({Array.MaxLength}); a " +
                $"CIFAR-10 batch is 10000 records of {RecordSize} bytes.");
        }
        byte[] file = File.ReadAllBytes(path);
        if (file.Length == 0)
        {
            throw new InvalidDataException(
                $"{path}: the file is empty; a CIFAR-10 batch holds {RecordSize}-byte records.");
        }
        int count = file.Length / RecordSize;
        if (file.Length % RecordSize != 0)
        {
            throw new InvalidDataException(
                $"{path}: {file.Length} bytes is not a whole number of {RecordSize}-byte records; record {count} " +
                $"at offset {(long)count * RecordSize} is cut short after {file.Length % RecordSize} bytes.");
        }
        const int imageSize = RecordSize - 1;
        var pixels = new byte[count * imageSize];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int offset = i * RecordSize;
            labels[i] = file[offset];
            if (labels[i] >= ClassNames.Count)
            {
                throw new InvalidDataException(
                    $"{path}: record {i} at offset {offset} has label {labels[i]}; CIFAR-10 labels are 0..9.");
            }
            // The record already stores the planes in CHW order, so the pixels move over as one block.
            file.AsSpan(offset + 1, imageSize).CopyTo(pixels.AsSpan(i * imageSize));
        }
        return new ImageDataset(pixels, labels, 3, Side, Side, ClassNames);
    }

    private static string Require(string dataDir, string name)
    {
        string path = Path.Combine(dataDir, name);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException(
                $"CIFAR-10 file {name} is not in {dataDir}. Put the six files of the binary version " +
                "(cifar-10-binary.tar.gz, folder cifar-10-batches-bin) there.",
                path);
    }
}
