using System.Globalization;
using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>A silo that is told to stop drains first, and Kubernetes gives it the time to.</summary>
public sealed class DrainTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_grace_period_covers_the_drain_and_the_shutdown(string overlay)
    {
        var silo = Rendered.Overlay(overlay).Workload(Deployment.Silo);
        var drain = TimeSpan.Parse(silo.Container("silo").Literal("DistributedAttention__Silo__DrainTimeout"), CultureInfo.InvariantCulture);
        Assert.True(drain > TimeSpan.Zero, $"{overlay}: a drain timeout of {drain} drains nothing.");
        var grace = TimeSpan.FromSeconds(silo.Pod.TerminationGracePeriodSeconds ?? 30);
        Assert.True(grace > drain + Deployment.ShutdownAllowance,
            $"{overlay}: terminationGracePeriodSeconds {grace.TotalSeconds} does not exceed the drain ({drain.TotalSeconds} s) plus {Deployment.ShutdownAllowance.TotalSeconds} s of shutdown.");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_prestop_hook_runs_distattn_drain(string overlay)
    {
        var silo = Rendered.Overlay(overlay).Workload(Deployment.Silo).Container("silo");
        var exec = silo.Lifecycle?.PreStop?.Exec ?? throw new InvalidDataException($"{overlay}: the silo has no preStop exec hook.");
        Assert.Equal(["distattn", "drain"], exec.Command);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Rollouts_add_a_silo_before_removing_one(string overlay)
    {
        var silo = Rendered.Overlay(overlay).Get<V1Deployment>(Deployment.Silo);
        Assert.Equal("RollingUpdate", silo.Spec.Strategy.Type);
        Assert.Equal("0", silo.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
        Assert.Equal("1", silo.Spec.Strategy.RollingUpdate.MaxSurge.Value);
    }
}
