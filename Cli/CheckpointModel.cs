using System.CommandLine;
using System.Globalization;
using GpuCnn.Datasets;
using GpuCnn.Datasets.Imaging;
using GpuCnn.Engine;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Models;

namespace GpuCnn.Cli;

/// <summary>
/// What <c>predict</c>, <c>eval</c> and <c>visualize</c> take from a checkpoint's metadata (written by
/// <c>train</c>): the model, the size of its head, the digits or the image folder's classes it was trained on, and
/// the dataset, which also says how its input was normalised.
/// </summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Model">The model: the checkpoint's, else <c>--model</c>, else lenet5.</param>
/// <param name="Classes">Outputs of the head: the checkpoint's <c>classes</c>, else the model's default.</param>
/// <param name="Digits">MNIST digits the model was trained on, when a subset; output i means digit Digits[i].
/// </param>
/// <param name="Dataset">mnist, cifar10 or folder; null for a checkpoint that does not say.</param>
/// <param name="FolderClasses">An image folder's class names in label order, when trained on one.</param>
internal sealed record CheckpointModel(string Path, string Model, int Classes, byte[]? Digits, string? Dataset,
    IReadOnlyList<string>? FolderClasses)
{
    /// <summary>The metadata entry naming the model.</summary>
    public const string ModelKey = "model";

    /// <summary>The <c>--model</c> option of the commands that load a checkpoint: no default, since the checkpoint
    /// names its model; given, it is checked against that (and names the model of a file that does not say).
    /// </summary>
    public static Option<string> ModelOption()
    {
        var option = CommonOptions.Model(inputs: ModelInputs.Datasets);
        option.DefaultValueFactory = null;
        option.Description += " (default: the checkpoint's)";
        return option;
    }

    /// <summary>The model's per-sample input shape.</summary>
    public Shape Input => ModelZoo.InputShape(Model);

    /// <summary>
    /// Whether inputs are prepared as MNIST digits are drawn (light strokes on black): a model of MNIST's input that
    /// was trained on MNIST, or whose checkpoint does not say.
    /// </summary>
    public bool DrawsDigits => Input.Equals(TrainingData.MnistShape) && Dataset is null or TrainingData.MnistName;

    /// <summary>The per-channel mean the training images were normalised with.</summary>
    public IReadOnlyList<float> Mean => Input[0] == 1 ? [Mnist.Mean] : Cifar10.Mean;

    /// <summary>The per-channel standard deviation the training images were normalised with.</summary>
    public IReadOnlyList<float> Std => Input[0] == 1 ? [Mnist.Std] : Cifar10.Std;

    /// <summary>
    /// Reads the metadata of <paramref name="path"/> and settles the model with <paramref name="given"/>, the
    /// <c>--model</c> option (null when left out). Null after printing the one line that says the two differ.
    /// </summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InvalidDataException">The file or its metadata is malformed.</exception>
    public static CheckpointModel? Read(string path, string? given)
    {
        var saved = Checkpoint.ReadMetadata(path);
        saved.TryGetValue(ModelKey, out var savedModel);
        if (given is not null && savedModel is not null && !given.Equals(savedModel, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"--model {given}: {path} holds a {savedModel}, not a {given}; leave --model out " +
                $"or pass --model {savedModel}.");
            return null;
        }

        var model = savedModel ?? given ?? "lenet5";
        if (!ModelZoo.Names.Contains(model))
        {
            Console.Error.WriteLine($"{path} holds a '{model}', a model this version does not know; known models: " +
                $"{string.Join(", ", ModelZoo.Names)}.");
            return null;
        }

        var classes = saved.TryGetValue(ModelZoo.ClassesKey, out var count)
            ? int.Parse(count, CultureInfo.InvariantCulture) : ModelZoo.DefaultClasses(model);
        var digits = saved.TryGetValue("digits", out var list) ? DigitList.Parse(list) : null;
        saved.TryGetValue(TrainingData.DatasetKey, out var dataset);
        var names = saved.TryGetValue(TrainingData.ClassNamesKey, out var joined) ? joined.Split('/') : null;
        return new CheckpointModel(path, model, classes, digits, dataset, names);
    }

    /// <summary>What output <paramref name="index"/> of the head stands for: a digit, a CIFAR-10 or folder class
    /// name, else the index itself.</summary>
    public string Label(int index) =>
        Digits is { } d && index < d.Length ? d[index].ToString(CultureInfo.InvariantCulture)
        : FolderClasses is { } f && index < f.Count ? f[index]
        : Dataset == TrainingData.Cifar10Name && index < Cifar10.ClassNames.Count ? Cifar10.ClassNames[index]
        : index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A picture as this model's input, prepared as its training images were: an MNIST-style digit (grey, inverted
    /// when mostly light) for a model trained on MNIST, else as an image folder is read at the model's input size.
    /// </summary>
    public PreparedInput Prepare(Image image) => DrawsDigits
        ? ModelInput.Digit(image, Input[1], Input[2], Mnist.Mean, Mnist.Std)
        : ModelInput.Planar(image, Input[0], Input[1], Input[2], Mean, Std);
}
