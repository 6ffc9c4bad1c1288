using DistributedAttention.Experiments;
using DistributedAttention.Model.Tests;
using DistributedAttention.Training;
using DistributedAttention.Training.Tasks;

namespace DistributedAttention.Experiments.Tests;

/// <summary>A task's finished training is reused exactly when what its figures depend on is unchanged.</summary>
public sealed class TaskResultTests
{
    [Fact]
    public void A_task_is_reused_when_only_the_other_tasks_budget_changes_and_retrained_when_its_own_does()
    {
        using var temp = new TempDir();
        var folder = temp.File("window");
        var preset = ExperimentPreset.Ci;
        var window = MechanismCatalog.Named(["Window"])[0];
        var listOps = new ListOpsTask(preset.Tasks.ListOpsMinLength, preset.Tasks.ListOpsMaxLength);
        TaskResult Measure(ExperimentPreset p, Func<TaskPreset, TrainingOptions> pick) =>
            TaskResult.Measure(window, p, listOps, pick(p.Tasks), listOps.MaxLength, [(listOps.MaxLength, listOps)], folder, CancellationToken.None);

        var first = Measure(preset, t => t.ListOpsTraining);
        Assert.False(first.Reused);

        var otherTaskChanged = preset with { Tasks = preset.Tasks with { RetrievalTraining = preset.Tasks.RetrievalTraining with { Steps = 5 }, RetrievalTrainingLength = 128 } };
        var again = Measure(otherTaskChanged, t => t.ListOpsTraining);
        Assert.True(again.Reused);
        Assert.Equal(first.Accuracies, again.Accuracies);
        Assert.Equal(first.FinalLoss, again.FinalLoss);

        var ownChanged = preset with { Tasks = preset.Tasks with { ListOpsTraining = preset.Tasks.ListOpsTraining with { Steps = 3 } } };
        Assert.False(Measure(ownChanged, t => t.ListOpsTraining).Reused);
        var fewerExamples = preset with { Tasks = preset.Tasks with { EvalExamples = 4 } };
        Assert.False(Measure(fewerExamples, t => t.ListOpsTraining).Reused);
    }

    [Fact]
    public void An_accuracy_is_written_one_way_in_the_progress_lines_and_the_report()
    {
        // 3 of 40 is 7.5 %: printed with P0 it read "7 %" in the progress line while the table said "8 %".
        Assert.Equal("8 %", new TaskAccuracy(4096, 3 / 40.0).Percent);
        Assert.Equal("90 %", new TaskAccuracy(256, 36 / 40.0).Percent);
        Assert.Null(new TaskAccuracy(16384, null, "past the limit").Percent);
    }
}
