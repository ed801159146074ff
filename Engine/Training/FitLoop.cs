using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuCnn.Engine.Checkpoints;
using GpuCnn.Engine.Optimizers;

namespace GpuCnn.Engine.Training;

/// <summary>
/// The epoch loop: trains on a batch source, evaluates after each epoch, and calls callbacks (checkpoints,
/// schedules, early stopping, logs). It stops when the epochs are done, a callback asks, cancellation is requested
/// (the state after the last finished step is saved first), or the loss stops being finite. A checkpoint it writes
/// holds everything a resumed run needs to continue exactly: parameters, optimizer state, the epoch and the step
/// inside it, the dropout counter, the callbacks' state and the history.
/// </summary>
public sealed class FitLoop
{
    private const string Prefix = "fit.";
    private static readonly JsonSerializerOptions HistoryJson = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly IBatchSource train;
    private readonly IBatchSource? evaluation;
    private readonly TrainingCallback[] callbacks;
    private readonly List<EpochMetrics> history = [];
    private bool begun;
    private double epochLossSum;
    private long epochSeen;
    private long epochCorrect;

    /// <summary>Trains <paramref name="trainer"/> for <paramref name="epochs"/> epochs in all. Dataset batchers plug
    /// in with <see cref="BatcherExtensions.ToBatchSource"/>.</summary>
    /// <param name="trainer">The network, loss and optimizer.</param>
    /// <param name="train">Training batches.</param>
    /// <param name="evaluation">Batches evaluated after each epoch, or null for none (test metrics are NaN).</param>
    /// <param name="epochs">Total epochs, counting those a resumed checkpoint already finished.</param>
    /// <param name="callbacks">Hooks, called in this order (checkpoint writers last at the end of an epoch).</param>
    public FitLoop(Trainer trainer, IBatchSource train, IBatchSource? evaluation, int epochs,
        IEnumerable<TrainingCallback>? callbacks = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        Trainer = trainer;
        this.train = train;
        this.evaluation = evaluation;
        Epochs = epochs;
        var list = callbacks?.ToList() ?? [];
        // Stable: writers keep their relative order, after everything whose state they save.
        this.callbacks = [.. list.Where(c => c is not CheckpointCallback), .. list.Where(c => c is CheckpointCallback)];
    }

    /// <summary>The trainer.</summary>
    public Trainer Trainer { get; }

    /// <summary>The network trained.</summary>
    public Network Network => Trainer.Network;

    /// <summary>The optimizer, whose learning rate schedules set.</summary>
    public Optimizer Optimizer => Trainer.Optimizer;

    /// <summary>Total epochs of the run.</summary>
    public int Epochs { get; }

    /// <summary>Epochs finished, including those before a resume.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>The epoch in progress or next to run (1-based).</summary>
    public int CurrentEpoch => CompletedEpochs + 1;

    /// <summary>Steps finished in the epoch in progress.</summary>
    public int StepInEpoch { get; private set; }

    /// <summary>Steps finished over the whole run.</summary>
    public long GlobalStep { get; private set; }

    /// <summary>Metrics of every finished epoch, including those before a resume.</summary>
    public IReadOnlyList<EpochMetrics> History => history;

    /// <summary>Set once the loop has stopped.</summary>
    public FitResult? Result { get; private set; }

    /// <summary>The checkpoint last written (or resumed from): what to fall back on if training diverges.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>
    /// Batches held out of training and evaluated after each epoch, before the evaluation source: their loss and
    /// accuracy are the epoch's <see cref="EpochMetrics.ValidationLoss"/> and
    /// <see cref="EpochMetrics.ValidationAccuracy"/> (<c>val_loss</c>, <c>val_accuracy</c>), which early stopping,
    /// the best checkpoint and plateau schedules can watch. Null (the default) for none: those metrics are NaN.
    /// </summary>
    public IBatchSource? Validation { get; init; }

    /// <summary>Where an interrupted run saves its state.</summary>
    public string InterruptCheckpointPath { get; set; } = "interrupted.safetensors";

    /// <summary>
    /// False on the ranks of a data-parallel run other than rank 0: <see cref="SaveCheckpoint"/> then records the
    /// path rank 0 writes without writing it.
    /// </summary>
    public bool WritesFiles { get; init; } = true;

    /// <summary>Extra metadata written into every checkpoint (the model's name, the data seed).</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    /// <summary>Why the next epoch will not run, when a callback has asked to stop.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Asks the loop to stop after the current epoch's callbacks.</summary>
    public void RequestStop(string reason) => StopReason ??= reason;

    /// <summary>Runs epochs until the loop stops, and returns why it stopped.</summary>
    public FitResult Run(CancellationToken cancellation = default)
    {
        while (Result is null)
        {
            RunEpoch(cancellation);
        }

        return Result;
    }

    /// <summary>
    /// Runs one epoch — or the rest of the epoch a resumed checkpoint was saved in — with its evaluation and
    /// callbacks. Sets <see cref="Result"/> when the loop stops.
    /// </summary>
    public void RunEpoch(CancellationToken cancellation = default)
    {
        if (Result is not null)
        {
            throw new InvalidOperationException($"The loop has already stopped: {Result.Message}");
        }

        if (!begun)
        {
            begun = true;
            foreach (var callback in callbacks)
            {
                callback.OnFitBegin(this);
            }

            if (CompletedEpochs >= Epochs)
            {
                Finish(FitOutcome.Completed, $"All {Epochs} epochs were already done.", LastCheckpoint);
                return;
            }
        }

        foreach (var callback in callbacks)
        {
            callback.OnEpochBegin(this);
        }

        var epoch = CurrentEpoch;
        var skip = StepInEpoch;
        var index = 0;
        long seenNow = 0;
        var clock = Stopwatch.StartNew();
        foreach (var batch in train.Epoch(epoch))
        {
            // A resumed epoch replays the source's order and skips what the checkpoint had already seen.
            if (index++ < skip)
            {
                continue;
            }

            if (cancellation.IsCancellationRequested)
            {
                Interrupt();
                return;
            }

            var step = Trainer.ComputeGradients(batch.Inputs, batch.Labels, batch.Count);
            if (!float.IsFinite(step.Loss))
            {
                var fallback = LastCheckpoint is null ? "No checkpoint was written before it."
                    : $"The last good checkpoint is {LastCheckpoint}.";
                Finish(FitOutcome.Diverged, string.Create(CultureInfo.InvariantCulture,
                    $"The loss became {step.Loss} at epoch {epoch}, step {StepInEpoch + 1}; that step was not " +
                    $"applied. {fallback}"), LastCheckpoint);
                return;
            }

            for (var i = 0; i < callbacks.Length; i++)
            {
                callbacks[i].OnAfterBackward(this);
            }

            Trainer.ApplyUpdate();
            StepInEpoch++;
            GlobalStep++;
            epochLossSum += (double)step.Loss * step.Count;
            epochSeen += step.Count;
            epochCorrect += step.Correct;
            seenNow += step.Count;
            for (var i = 0; i < callbacks.Length; i++)
            {
                callbacks[i].OnStepEnd(this, step);
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        foreach (var callback in callbacks)
        {
            callback.OnTrainPhaseEnd(this);
        }

        var (valLoss, valAccuracy) = Validation is null ? (double.NaN, double.NaN) : Evaluate(Trainer, Validation);
        var (testLoss, testAccuracy) = evaluation is null ? (double.NaN, double.NaN) : Evaluate(Trainer, evaluation);
        var metrics = new EpochMetrics(epoch, epochLossSum / epochSeen, (double)epochCorrect / epochSeen, testLoss,
            testAccuracy, seconds > 0 ? seenNow / seconds : 0, Optimizer.LearningRate, valLoss, valAccuracy);
        history.Add(metrics);
        CompletedEpochs = epoch;
        StepInEpoch = 0;
        epochLossSum = 0;
        epochSeen = 0;
        epochCorrect = 0;
        foreach (var callback in callbacks)
        {
            callback.OnEpochEnd(this, metrics);
        }

        if (StopReason is not null)
        {
            Finish(FitOutcome.Stopped, StopReason, LastCheckpoint);
        }
        else if (CompletedEpochs >= Epochs)
        {
            Finish(FitOutcome.Completed, Epochs == 1 ? "Finished 1 epoch." : $"Finished {Epochs} epochs.",
                LastCheckpoint);
        }
        else if (cancellation.IsCancellationRequested)
        {
            Interrupt();
        }
    }

    /// <summary>Mean loss and accuracy of the trainer's network over every batch of <paramref name="source"/>.
    /// </summary>
    public static (double Loss, double Accuracy) Evaluate(Trainer trainer, IBatchSource source)
    {
        double lossSum = 0;
        long seen = 0, correct = 0;
        foreach (var batch in source.Epoch(0))
        {
            var result = trainer.Evaluate(batch.Inputs, batch.Labels, batch.Count);
            lossSum += (double)result.Loss * batch.Count;
            seen += batch.Count;
            correct += result.Correct;
        }

        return seen == 0 ? (double.NaN, double.NaN) : (lossSum / seen, (double)correct / seen);
    }

    /// <summary>Writes a checkpoint of the whole training state to <paramref name="path"/> (atomically).</summary>
    public void SaveCheckpoint(string path)
    {
        if (!WritesFiles)
        {
            LastCheckpoint = path;
            return;
        }

        var c = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>(Metadata)
        {
            // "epoch" counts finished epochs, as checkpoints written before this loop did.
            ["epoch"] = CompletedEpochs.ToString(c),
            [Prefix + "epochs"] = Epochs.ToString(c),
            [Prefix + "step_in_epoch"] = StepInEpoch.ToString(c),
            [Prefix + "global_step"] = GlobalStep.ToString(c),
            [Prefix + "epoch_loss_sum"] = epochLossSum.ToString("R", c),
            [Prefix + "epoch_seen"] = epochSeen.ToString(c),
            [Prefix + "epoch_correct"] = epochCorrect.ToString(c),
            [Prefix + "history"] = JsonSerializer.Serialize(history, HistoryJson),
        };
        foreach (var callback in callbacks)
        {
            callback.SaveState(metadata);
        }

        Checkpoint.Save(path, Network, Optimizer, metadata);
        LastCheckpoint = path;
        foreach (var callback in callbacks)
        {
            callback.OnCheckpointSaved(this, path);
        }
    }

    /// <summary>
    /// Restores the state a <see cref="SaveCheckpoint"/> file holds: parameters, optimizer state and learning
    /// rate, dropout counter, position in the data, history and the callbacks' state. Call before running.
    /// A file written by an older <c>train</c> (parameters, optimizer and epoch only) resumes at its epoch.
    /// </summary>
    public void Resume(string path)
    {
        if (begun)
        {
            throw new InvalidOperationException("Resume before the loop runs.");
        }

        var metadata = Checkpoint.Load(path, Network, Optimizer);
        var c = CultureInfo.InvariantCulture;
        string? Get(string key) => metadata.TryGetValue(key, out var value) ? value : null;
        if (Get("learning_rate") is { } lr)
        {
            Optimizer.LearningRate = float.Parse(lr, c);
        }

        CompletedEpochs = Get("epoch") is { } epoch ? int.Parse(epoch, c) : 0;
        StepInEpoch = Get(Prefix + "step_in_epoch") is { } step ? int.Parse(step, c) : 0;
        GlobalStep = Get(Prefix + "global_step") is { } global ? long.Parse(global, c) : 0;
        epochLossSum = Get(Prefix + "epoch_loss_sum") is { } sum ? double.Parse(sum, c) : 0;
        epochSeen = Get(Prefix + "epoch_seen") is { } seen ? long.Parse(seen, c) : 0;
        epochCorrect = Get(Prefix + "epoch_correct") is { } correct ? long.Parse(correct, c) : 0;
        history.Clear();
        if (Get(Prefix + "history") is { } json)
        {
            history.AddRange(ParseHistory(path, json));
        }

        foreach (var callback in callbacks)
        {
            callback.LoadState(metadata);
        }

        LastCheckpoint = path;
    }

    private static List<EpochMetrics> ParseHistory(string path, string json)
    {
        try
        {
            var list = JsonSerializer.Deserialize<List<EpochMetrics?>>(json, HistoryJson) ?? [];
            return list.Any(m => m is null)
                ? throw new JsonException("an entry is null")
                : [.. list.OfType<EpochMetrics>()];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path}: metadata '{Prefix}history' is not a list of epoch metrics: {e.Message}", e);
        }
    }

    private void Interrupt()
    {
        SaveCheckpoint(InterruptCheckpointPath);
        var where = StepInEpoch == 0
            ? $"after epoch {CompletedEpochs}"
            : $"at epoch {CurrentEpoch}, step {StepInEpoch}";
        Finish(FitOutcome.Interrupted, $"Interrupted {where}; the state was saved to {InterruptCheckpointPath}.",
            InterruptCheckpointPath);
    }

    private void Finish(FitOutcome outcome, string message, string? checkpoint)
    {
        Result = new FitResult(outcome, CompletedEpochs, StepInEpoch, message, checkpoint);
        foreach (var callback in callbacks)
        {
            callback.OnFitEnd(this, Result);
        }
    }
}
