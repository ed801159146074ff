using GpuCnn.Cli.Plotting;
using GpuCnn.Engine.Training;

namespace GpuCnn.Cli;

/// <summary>
/// Redraws a run's loss and accuracy curves into a PNG after every epoch, so that the picture of an interrupted
/// or diverged run still shows how far it got.
/// </summary>
internal sealed class CurvesPlot(string path, string title, string name, LossRecorder recorder) : TrainingCallback
{
    public override void OnFitBegin(FitLoop loop) => recorder.OnFitBegin(loop);

    public override void OnStepEnd(FitLoop loop, StepResult step) => recorder.OnStepEnd(loop, step);

    public override void OnEpochEnd(FitLoop loop, EpochMetrics metrics) => Draw();

    public override void OnFitEnd(FitLoop loop, FitResult result)
    {
        if (recorder.Steps.Count > 0 || recorder.Epochs.Count > 0)
        {
            Draw();
        }
    }

    private void Draw() => TrainingCurves.Save(path, title,
        [new RunCurves(name, TrainingCurves.Palette[0], recorder.Steps, recorder.Epochs)],
        recorder.Beta);
}
