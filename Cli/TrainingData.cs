using GpuCnn.Datasets;
using GpuCnn.Datasets.Augmentation;
using GpuCnn.Engine;
using GpuCnn.Engine.Training;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>
/// The labelled images <c>train</c> and <c>eval</c> feed a model — MNIST, CIFAR-10 or a folder of images — with the
/// per-channel mean and std they are normalised with.
/// </summary>
/// <param name="Name">mnist, cifar10 or folder.</param>
/// <param name="Directory">The folder the images were read from.</param>
/// <param name="Train">The training images; null when only the test images were asked for.</param>
/// <param name="Test">The test images.</param>
/// <param name="Mean">Per channel, subtracted from the pixels scaled to [0, 1].</param>
/// <param name="Std">Per channel, divides the pixels after the mean is subtracted.</param>
internal sealed record TrainingData(string Name, string Directory, ImageDataset? Train, ImageDataset Test,
    IReadOnlyList<float> Mean, IReadOnlyList<float> Std)
{
    public const string MnistName = "mnist";
    public const string Cifar10Name = "cifar10";
    public const string FolderName = "folder";

    /// <summary>The values <c>--dataset</c> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = [MnistName, Cifar10Name, FolderName];

    /// <summary>The checkpoint metadata entry naming the dataset a model was trained on.</summary>
    public const string DatasetKey = "dataset";

    /// <summary>The checkpoint metadata entry that is "true" when the run augments its training images.</summary>
    public const string AugmentKey = "augment";

    /// <summary>The checkpoint metadata entry listing an image folder's classes, '/'-separated, in label order.
    /// </summary>
    public const string ClassNamesKey = "class_names";

    public static Shape MnistShape { get; } = new(1, 28, 28);

    public static Shape CifarShape { get; } = new(3, 32, 32);

    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Where CIFAR-10 is read from without <c>--data</c>: where its binary archive unpacks under ./data.
    /// </summary>
    public static string DefaultCifar10Dir =>
        Path.Combine(Environment.CurrentDirectory, "data", "cifar-10-batches-bin");

    /// <summary>Whether a dataset can feed a model of <paramref name="input"/> (an image folder is resized to MNIST's
    /// or CIFAR-10's shape).</summary>
    public static bool Feeds(Shape input) => input.Equals(MnistShape) || input.Equals(CifarShape);

    /// <summary>The dataset a model trains on unless told: CIFAR-10 for a 3x32x32 input, else MNIST.</summary>
    public static string DefaultFor(Shape input) => input.Equals(CifarShape) ? Cifar10Name : MnistName;

    /// <summary>The dataset's name as a title: MNIST, CIFAR-10, or the folder.</summary>
    public string Title => Name switch
    {
        MnistName => "MNIST",
        Cifar10Name => "CIFAR-10",
        _ => Directory,
    };

    /// <summary>Number of classes the labels count, the head's size unless <c>--classes</c> says more.</summary>
    public int ClassCount => Test.ClassNames.Count;

    /// <summary>
    /// Null when <paramref name="dataset"/> can feed <paramref name="model"/>, else the message saying that its
    /// images and the model's input differ, naming both shapes and what fits; checked before anything is read.
    /// </summary>
    public static string? ShapeMismatch(string dataset, string model)
    {
        var input = ModelZoo.InputShape(model);
        var images = dataset switch
        {
            MnistName => MnistShape,
            Cifar10Name => CifarShape,
            _ => null, // an image folder is resized to the input
        };
        if (images is null || images.Equals(input))
        {
            return null;
        }

        var fitting = ModelZoo.Names.Where(n => ModelZoo.InputShape(n).Equals(images));
        return $"--dataset {dataset} has {Format(images)} images (channels x height x width) but {model} takes " +
            $"{Format(input)} input; pick a model of {Format(images)} input ({string.Join(", ", fitting)}) or " +
            $"--dataset {DefaultFor(input)}.";
    }

    /// <summary>
    /// Reads dataset <paramref name="name"/> from <paramref name="directory"/> (its default folder when null) for a
    /// model of <paramref name="input"/>: an image folder is read at that shape. MNIST is fetched when absent.
    /// </summary>
    /// <param name="name">mnist, cifar10 or folder.</param>
    /// <param name="directory">The folder given with <c>--data</c>, or null.</param>
    /// <param name="input">The model's per-sample input shape.</param>
    /// <param name="digits">MNIST only: keep these digits, relabelled by their position in the list.</param>
    /// <param name="withTrain">Whether the training images are needed too, not only the test images.</param>
    /// <param name="log">Receives the steps of an MNIST fetch.</param>
    /// <exception cref="FileNotFoundException">A CIFAR-10 file is missing; the message names it.</exception>
    /// <exception cref="DirectoryNotFoundException">An image folder's train or test folder is missing.</exception>
    /// <exception cref="InvalidDataException">A file is malformed, the images do not have the model's input shape,
    /// or the train and test folders hold different classes; the message names the files or folders.</exception>
    public static TrainingData Load(string name, string? directory, Shape input, IReadOnlyList<byte>? digits,
        bool withTrain, Action<string> log)
    {
        var data = name switch
        {
            MnistName => LoadMnist(directory ?? Mnist.DefaultDataDir, digits, log),
            Cifar10Name => LoadCifar10(directory ?? DefaultCifar10Dir, withTrain),
            FolderName => LoadFolder(directory ?? throw new ArgumentException(
                "--dataset folder needs --data DIR, the folder holding train/ and test/."), input, withTrain),
            _ => throw new ArgumentException($"Unknown dataset '{name}'; use {string.Join(", ", Names)}."),
        };
        foreach (var set in new[] { data.Train, data.Test }.OfType<ImageDataset>())
        {
            if (set.Channels != input[0] || set.Height != input[1] || set.Width != input[2])
            {
                throw new InvalidDataException(
                    $"{data.Directory}: the {data.Title} images are {set.Channels}x{set.Height}x{set.Width} " +
                    $"(channels x height x width) but the model takes {Format(input)} input.");
            }
        }

        return data;
    }

    /// <summary>Training images held out for validation by <see cref="HoldOut"/>; null when none are.</summary>
    public ImageDataset? Validation { get; init; }

    /// <summary>This data with <paramref name="fraction"/> of its training images moved to
    /// <see cref="Validation"/>, a random choice fixed by <paramref name="seed"/> (see
    /// <see cref="ValidationSplit"/>).</summary>
    public TrainingData HoldOut(double fraction, ulong seed)
    {
        var (train, validation) = (Train ?? throw new InvalidOperationException("The training images were not loaded."))
            .SplitValidation(fraction, seed);
        return this with { Train = train, Validation = validation };
    }

    /// <summary>The held-out validation images in dataset order, or null when there are none.</summary>
    public IBatchSource? ValidationSource(int batchSize) => Validation is { } validation
        ? new BatcherSource(new ImageBatcher(validation, batchSize, shuffle: false, seed: 0, Mean, Std))
        : null;

    /// <summary>The training images in a fresh order each epoch, augmented by random crops (padding 4) and
    /// horizontal flips when <paramref name="augment"/>; the order and the augmentation follow the seed.</summary>
    public IBatchSource TrainSource(int batchSize, ulong seed, bool augment, bool prefetch) => new BatcherSource(
        new ImageBatcher(Train ?? throw new InvalidOperationException("The training images were not loaded."),
            batchSize, shuffle: true, seed, Mean, Std, augment ? Augmentation() : null),
        prefetch);

    /// <summary>The test images in dataset order.</summary>
    public IBatchSource TestSource(int batchSize) =>
        new BatcherSource(new ImageBatcher(Test, batchSize, shuffle: false, seed: 0, Mean, Std));

    /// <summary>The standard CIFAR recipe: pad by 4 with zeros, crop a random 32x32 window, flip half the images.
    /// </summary>
    public static ImageTransform Augmentation() => new Compose(new RandomCrop(padding: 4), new RandomHorizontalFlip());

    /// <summary>A shape as channels x height x width.</summary>
    public static string Format(Shape shape) => string.Join("x", shape.ToArray());

    private static TrainingData LoadMnist(string directory, IReadOnlyList<byte>? digits, Action<string> log)
    {
        var (train, test) = Mnist.LoadOrFetch(directory, log);
        if (digits is not null)
        {
            train = train.SelectClasses(digits);
            test = test.SelectClasses(digits);
        }

        // The views share MNIST's arrays: one grey channel, which CHW stores exactly as MNIST does.
        string[] names = digits is null ? Digits : [.. digits.Select(d => Digits[d])];
        ImageDataset View(MnistDataset d) => new(d.Pixels, d.Labels, 1, d.Rows, d.Columns, names);
        return new TrainingData(MnistName, directory, View(train), View(test),
            [Mnist.Mean], [Mnist.Std]);
    }

    private static TrainingData LoadCifar10(string directory, bool withTrain)
    {
        ImageDataset? train;
        ImageDataset test;
        try
        {
            (train, test) = withTrain ? Cifar10.Load(directory) : (null, Cifar10.LoadTest(directory));
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{e.Message} Or point --data at the folder that holds them.", e.FileName,
                e);
        }

        return new TrainingData(Cifar10Name, directory, train, test, Cifar10.Mean, Cifar10.Std);
    }

    private static TrainingData LoadFolder(string directory, Shape input, bool withTrain)
    {
        ImageDataset Read(string split)
        {
            var path = Path.Combine(directory, split);
            if (!System.IO.Directory.Exists(path))
            {
                throw new DirectoryNotFoundException(
                    $"--dataset folder reads {Path.Combine(directory, "train")} and {Path.Combine(directory, "test")}" +
                    $", one sub-folder of image files per class in each; {path} does not exist.");
            }

            return ImageFolder.Load(path, input[0], (input[1], input[2]));
        }

        var test = Read("test");
        var train = withTrain ? Read("train") : null;
        if (train is not null && !train.ClassNames.SequenceEqual(test.ClassNames))
        {
            throw new InvalidDataException(
                $"{directory}: train/ has the classes {string.Join(", ", train.ClassNames)} but test/ has " +
                $"{string.Join(", ", test.ClassNames)}; both need the same class folders.");
        }

        // Normalised as the dataset of the model's shape is, so that a model pretrained on it sees familiar input.
        return input[0] == 1
            ? new TrainingData(FolderName, directory, train, test, [Mnist.Mean], [Mnist.Std])
            : new TrainingData(FolderName, directory, train, test, Cifar10.Mean, Cifar10.Std);
    }
}
