using System.Diagnostics;
using System.Globalization;
using GpuCnn.Engine.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GpuCnn.Cli;

/// <summary>
/// A live progress bar for each epoch's training phase: loss, accuracy and speed so far, the step out of the
/// epoch's steps, the time elapsed and the time remaining. Spectre's progress display owns the thread that starts
/// it until it ends, so it runs on its own thread while the loop updates its task from the training thread.
/// </summary>
internal sealed class TrainingProgress(int batchCount) : TrainingCallback
{
    private readonly Stopwatch clock = new();
    private ProgressTask? task;
    private ManualResetEventSlim? finished;
    private Thread? display;
    private TimeSpan nextRefresh;
    private double lossSum;
    private long seen;
    private long correct;

    public override void OnEpochBegin(FitLoop loop)
    {
        lossSum = 0;
        seen = correct = 0;
        clock.Restart();
        nextRefresh = TimeSpan.Zero;
        var ready = new ManualResetEventSlim();
        var finished = new ManualResetEventSlim();
        var epoch = loop.CurrentEpoch;
        // A run resumed inside an epoch starts its bar where the checkpoint left off.
        var done = loop.StepInEpoch;
        display = new Thread(() => AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn { Width = 12 }, new StepColumn())
            .Start(ctx =>
            {
                task = ctx.AddTask($"epoch {epoch}", maxValue: Math.Max(1, batchCount));
                task.Value = done;
                ready.Set();
                finished.Wait();
            }))
        { IsBackground = true, Name = "progress" };
        this.finished = finished;
        display.Start();
        ready.Wait();
        ready.Dispose();
    }

    public override void OnStepEnd(FitLoop loop, StepResult step)
    {
        lossSum += (double)step.Loss * step.Count;
        seen += step.Count;
        correct += step.Correct;
        task?.Increment(1);
        // Formatting the line every step would cost more than the step itself on small models.
        if (task is not null && clock.Elapsed >= nextRefresh)
        {
            nextRefresh = clock.Elapsed + TimeSpan.FromMilliseconds(100);
            task.Description = string.Create(CultureInfo.InvariantCulture,
                $"epoch {loop.CurrentEpoch} loss {lossSum / seen:F4} acc {(double)correct / seen:P1} " +
                $"{seen / clock.Elapsed.TotalSeconds:N0} img/s");
        }
    }

    public override void OnTrainPhaseEnd(FitLoop loop) => Close();

    public override void OnFitEnd(FitLoop loop, FitResult result) => Close();

    private void Close()
    {
        finished?.Set();
        display?.Join();
        finished?.Dispose();
        finished = null;
        display = null;
        task = null;
    }
}

/// <summary>The step, out of the epoch's steps, with the time elapsed and the time left as tqdm shows them:
/// <c>312/938 [00:05&lt;00:11]</c>.</summary>
internal sealed class StepColumn : ProgressColumn
{
    /// <summary>The text shown at <paramref name="done"/> of <paramref name="total"/> steps.</summary>
    public static string Format(double done, double total, TimeSpan? elapsed, TimeSpan? remaining) =>
        string.Create(CultureInfo.InvariantCulture, $"{done:0}/{total:0} [{Time(elapsed)}<{Time(remaining)}]");

    protected override bool NoWrap => true;

    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Text(Format(task.Value, task.MaxValue, task.ElapsedTime, task.RemainingTime));

    private static string Time(TimeSpan? t) => t is not { } time ? "--:--"
        : time.TotalHours >= 1 ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
        : time.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}
