using DistributedAttention.Abstractions;
using DistributedAttention.Grains.Admission;

namespace DistributedAttention.Grains.Tests.Admission;

/// <summary>The admission rules on their own: fit, queue in order, refuse, expire, rebuild.</summary>
public sealed class AdmissionLedgerTests
{
    private const long MiB = 1L << 20;
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    // Two silos, one slot each, 100 MiB each: shard s lands on silo s mod 2.
    private static readonly ClusterMemoryView TwoSilos = new(["a", "b"], new Dictionary<string, long> { ["a"] = 100 * MiB, ["b"] = 100 * MiB });

    private static AdmissionRequest Job(string id, params long[] shardMiB) => new(id, [.. shardMiB.Select(m => m * MiB)]);

    [Fact]
    public void Jobs_are_admitted_while_every_silo_keeps_within_its_budget_then_queue_in_order()
    {
        var ledger = new AdmissionLedger(maxQueued: 8, TimeSpan.FromSeconds(30));
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("one", 60, 60), TwoSilos, T0).Outcome);
        // 60 + 40 = 100 fits exactly on both silos.
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("two", 40, 40), TwoSilos, T0).Outcome);
        Assert.Equal(100 * MiB, ledger.Reserved("a"));

        var three = ledger.Request(Job("three", 10), TwoSilos, T0);
        var four = ledger.Request(Job("four", 1), TwoSilos, T0);
        Assert.Equal((AdmissionOutcome.Queued, 0), (three.Outcome, three.QueuePosition));
        // First in, first out: a small job does not overtake the one ahead of it.
        Assert.Equal((AdmissionOutcome.Queued, 1), (four.Outcome, four.QueuePosition));
        Assert.Equal(AdmissionOutcome.Queued, ledger.Request(Job("four", 1), TwoSilos, T0).Outcome);

        ledger.Release("two");
        Assert.Equal(AdmissionOutcome.Queued, ledger.Request(Job("four", 1), TwoSilos, T0).Outcome);
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("three", 10), TwoSilos, T0).Outcome);
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("four", 1), TwoSilos, T0).Outcome);
        Assert.Equal(["four", "one", "three"], ledger.Snapshot(TwoSilos, T0).Admitted);
        Assert.Equal(71 * MiB, ledger.Reserved("a"));
        Assert.Equal(60 * MiB, ledger.Reserved("b"));
    }

    [Fact]
    public void A_full_queue_and_a_job_too_large_for_an_idle_cluster_are_refused_with_reasons()
    {
        var ledger = new AdmissionLedger(maxQueued: 1, TimeSpan.FromSeconds(30));
        ledger.Request(Job("big", 90, 90), TwoSilos, T0);
        Assert.Equal(AdmissionOutcome.Queued, ledger.Request(Job("waits", 20), TwoSilos, T0).Outcome);

        var busy = ledger.Request(Job("turned-away", 20), TwoSilos, T0);
        Assert.Equal((AdmissionOutcome.Refused, AdmissionRefusal.QueueFull), (busy.Outcome, busy.Refusal));
        Assert.Contains("1 job(s) already wait", busy.Reason);

        // Shards 0 and 2 both land on silo a: 120 MiB can never fit its 100 MiB.
        var huge = ledger.Request(Job("huge", 60, 10, 60), TwoSilos, T0);
        Assert.Equal((AdmissionOutcome.Refused, AdmissionRefusal.TooLarge), (huge.Outcome, huge.Refusal));
        Assert.Contains("120 MiB of memory on silo a, more than its budget of 100 MiB", huge.Reason);
        Assert.Equal(["waits"], ledger.Snapshot(TwoSilos, T0).Queued);
    }

    [Fact]
    public void Entries_nobody_renews_expire_and_renewals_rebuild_a_lost_ledger()
    {
        var lifetime = TimeSpan.FromSeconds(30);
        var ledger = new AdmissionLedger(maxQueued: 8, lifetime);
        ledger.Request(Job("gone", 80, 80), TwoSilos, T0);
        ledger.Request(Job("kept", 10, 10), TwoSilos, T0);
        Assert.Equal(AdmissionOutcome.Queued, ledger.Request(Job("waiting", 30, 30), TwoSilos, T0).Outcome);
        ledger.Renew(Job("kept", 10, 10), TwoSilos, T0 + TimeSpan.FromSeconds(20));

        // "gone" was not renewed for longer than the lifetime: its memory is free again.
        var later = T0 + TimeSpan.FromSeconds(31);
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("waiting", 30, 30), TwoSilos, later).Outcome);
        Assert.Equal(["kept", "waiting"], ledger.Snapshot(TwoSilos, later).Admitted);

        // A new ledger (its silo was lost) learns running jobs from their renewals, over budget or not.
        var rebuilt = new AdmissionLedger(maxQueued: 8, lifetime);
        rebuilt.Renew(Job("running", 150, 150), TwoSilos, later);
        Assert.Equal(150 * MiB, rebuilt.Reserved("a"));
        Assert.Equal(AdmissionOutcome.Queued, rebuilt.Request(Job("next", 1), TwoSilos, later).Outcome);
    }

    [Fact]
    public void Without_silos_nothing_is_admitted_and_silos_without_a_budget_take_anything()
    {
        var ledger = new AdmissionLedger(maxQueued: 8, TimeSpan.FromSeconds(30));
        var none = new ClusterMemoryView([], new Dictionary<string, long>());
        Assert.Equal(AdmissionOutcome.Queued, ledger.Request(Job("early", 1), none, T0).Outcome);

        var unlimited = new ClusterMemoryView(["a"], new Dictionary<string, long> { ["a"] = SiloMemoryBudget.Unlimited });
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("early", 1), unlimited, T0).Outcome);
        Assert.Equal(AdmissionOutcome.Admitted, ledger.Request(Job("vast", 1L << 40), unlimited, T0).Outcome);
        Assert.Equal("unlimited", AdmissionLedger.Size(SiloMemoryBudget.Unlimited));
    }
}
