using System.Globalization;
using GpuCnn.Engine.Optimizers;

namespace GpuCnn.Engine.Checkpoints;

/// <summary>
/// Saves and restores a network's parameters (PyTorch names: <c>conv1.weight</c>) and, optionally, its
/// optimizer's state (<c>optimizer.conv1.weight.exp_avg</c>), name, hyper-parameters and progress in one safetensors
/// file.
/// </summary>
public static class Checkpoint
{
    private const string OptimizerPrefix = "optimizer.";

    /// <summary>The prefix of the optimizer's hyper-parameters in a checkpoint's metadata
    /// (<c>optimizer.weight_decay</c>, <c>optimizer.betas</c> ...), beside <c>optimizer</c> (its PyTorch class
    /// name), <c>optimizer_step</c> and <c>learning_rate</c>.</summary>
    public const string HyperparameterPrefix = "optimizer.";

    /// <summary>Writes the checkpoint atomically.</summary>
    public static void Save(string path, Network network, Optimizer? optimizer = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tensors = network.Parameters().Select(p => new NamedTensor(p.Name, p.Shape.ToArray(), p.ToArray()))
            .Concat(network.States().Select(s => new NamedTensor(s.Name, s.Shape.ToArray(), s.ToArray()))).ToList();
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            ["format"] = "gpucnn",
            ["network_seed"] = network.Seed.ToString(CultureInfo.InvariantCulture),
            ["network_training_steps"] = network.TrainingSteps.ToString(CultureInfo.InvariantCulture),
        };
        if (optimizer is not null)
        {
            meta["optimizer"] = optimizer.Name;
            meta["optimizer_step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            meta["learning_rate"] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture);
            foreach (var (key, value) in optimizer.Hyperparameters)
            {
                meta[HyperparameterPrefix + key] = value;
            }

            foreach (var (name, buffer) in optimizer.State)
            {
                var parameter = network.Parameter(name[..name.LastIndexOf('.')]);
                tensors.Add(new NamedTensor(OptimizerPrefix + name, parameter.Shape.ToArray(), buffer.ToArray()));
            }
        }

        SafeTensors.Write(path, tensors, meta);
    }

    /// <summary>Reads only the metadata of a checkpoint, without its tensors; the entries readers parse are checked
    /// (see <see cref="CheckpointMetadata"/>).</summary>
    /// <exception cref="InvalidDataException">The file is malformed or an entry is out of its type or range; the
    /// message names the file and the key.</exception>
    public static Dictionary<string, string> ReadMetadata(string path)
    {
        var metadata = SafeTensors.ReadMetadata(path);
        CheckpointMetadata.Validate(path, metadata);
        return metadata;
    }

    /// <summary>
    /// Loads, by name, every parameter whose shape in the file equals its shape in <paramref name="network"/>, and
    /// leaves the others at their current values: the start of transfer learning, where a network with a new
    /// classifier head takes the features of a trained one. Nothing else is restored — no optimizer state, no
    /// dropout seed or step counter — because the run that follows is a new one.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="network">The network to fill.</param>
    /// <param name="exclude">Node or parameter names (<c>fc3</c>, <c>fc3.bias</c>) to leave as they are even when
    /// the file fits them: a head for other classes of the same count (digits 0..4 then 5..9) must start afresh.
    /// </param>
    /// <returns>What was loaded, excluded, skipped for its shape, missing from the file, and present only in the
    /// file.</returns>
    public static LoadReport LoadMatching(string path, Network network, IReadOnlyCollection<string>? exclude = null)
    {
        var (tensors, _) = SafeTensors.Read(path);
        var byName = tensors.Where(t => !t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name);
        var loaded = new List<string>();
        var excluded = new List<string>();
        var skipped = new List<ShapeMismatch>();
        var missing = new List<string>();
        foreach (var p in Slots(network))
        {
            if (!byName.Remove(p.Name, out var t))
            {
                missing.Add(p.Name);
            }
            else if (exclude is not null && exclude.Any(e => p.Name == e ||
                p.Name.StartsWith(e + ".", StringComparison.Ordinal)))
            {
                excluded.Add(p.Name);
            }
            else if (!t.Shape.SequenceEqual(p.Shape.ToArray()))
            {
                skipped.Add(new ShapeMismatch(p.Name, t.Shape, p.Shape));
            }
            else
            {
                p.Load(t.Data);
                loaded.Add(p.Name);
            }
        }

        // What is left in byName is what the network has no parameter for, in the file's order.
        var unexpected = tensors.Select(t => t.Name).Where(byName.ContainsKey).ToList();
        return new LoadReport(loaded, skipped, missing, unexpected) { Excluded = excluded };
    }

    /// <summary>
    /// Loads parameters by name (and optimizer state when <paramref name="optimizer"/> is given) and returns the
    /// metadata, restoring the network's dropout seed and training-step counter too. Every parameter of the network
    /// must be present with its shape; otherwise nothing is changed and the error lists what is missing or
    /// mismatched.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed, a metadata entry is out of its type or range
    /// (see <see cref="CheckpointMetadata"/>), or the file does not fit the network or optimizer; the message names
    /// the file.</exception>
    public static Dictionary<string, string> Load(string path, Network network, Optimizer? optimizer = null)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        CheckpointMetadata.Validate(path, metadata);
        var byName = tensors.ToDictionary(t => t.Name);
        var problems = new List<string>();
        foreach (var p in Slots(network))
        {
            if (!byName.TryGetValue(p.Name, out var t))
            {
                problems.Add($"'{p.Name}' is missing");
            }
            else if (!t.Shape.SequenceEqual(p.Shape.ToArray()))
            {
                problems.Add($"'{p.Name}' has shape ({string.Join(", ", t.Shape)}) in the file but {p.Shape} in " +
                    "the network");
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: does not fit the network: {string.Join("; ", problems)}.");
        }

        foreach (var p in Slots(network))
        {
            p.Load(byName[p.Name].Data);
        }

        // Files written before the counter was saved lack it; their dropout masks simply restart.
        if (metadata.TryGetValue("network_seed", out var seed) &&
            metadata.TryGetValue("network_training_steps", out var steps))
        {
            network.RestoreRandomState(ulong.Parse(seed, CultureInfo.InvariantCulture),
                ulong.Parse(steps, CultureInfo.InvariantCulture));
        }

        if (optimizer is not null && metadata.TryGetValue("optimizer", out var kind))
        {
            if (kind != optimizer.Name)
            {
                throw new InvalidDataException(
                    $"{path}: holds {kind} optimizer state, but the run uses {optimizer.Name}.");
            }

            optimizer.InitializeState();
            foreach (var (name, buffer) in optimizer.State)
            {
                if (!byName.TryGetValue(OptimizerPrefix + name, out var t) || t.Data.Length != buffer.Length)
                {
                    throw new InvalidDataException(
                        $"{path}: optimizer state '{name}' is missing or has the wrong size.");
                }

                buffer.Accelerator.CopyFromHost(t.Data, buffer);
            }

            optimizer.RestoreStepCount(int.Parse(metadata["optimizer_step"], CultureInfo.InvariantCulture));
        }

        return metadata;
    }

    // Every tensor a checkpoint holds for a network: parameters, then state (running statistics).
    private static IEnumerable<Slot> Slots(Network network) =>
        network.Parameters().Select(p => new Slot(p.Name, p.Shape, p.Load))
            .Concat(network.States().Select(s => new Slot(s.Name, s.Shape, s.Load)));

    private delegate void Loader(ReadOnlySpan<float> data);

    private sealed record Slot(string Name, Shape Shape, Loader Load);
}
