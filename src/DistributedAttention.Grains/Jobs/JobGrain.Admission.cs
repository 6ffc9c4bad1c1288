using DistributedAttention.Abstractions;
using DistributedAttention.Grains.Admission;
using Microsoft.Extensions.Logging;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// The coordinator's side of admission control: while its job is queued it asks the ledger
/// again every <see cref="AdmissionOptions.PollInterval"/> and, once admitted, makes the shards
/// join; while the job holds memory it renews its entry (a lost ledger is rebuilt from these);
/// it fails a job whose inputs never came and releases outputs nobody reads; and it frees the
/// memory when the job's tensors go.
/// </summary>
public sealed partial class JobGrain
{
    private IGrainTimer? admissionTimer;

    private IAdmissionGrain Ledger => GrainFactory.GetGrain<IAdmissionGrain>(0);

    private AdmissionRequest MemoryRequest => new(JobId, Record.ShardBytes);

    private void StartAdmissionTimer()
    {
        if (admissionTimer is not null) return;
        var every = admission.Value.PollInterval;
        // KeepAlive: a job that waits or holds memory keeps its coordinator, and so its entry, alive.
        admissionTimer = this.RegisterGrainTimer(AdmissionTickAsync, new GrainTimerCreationOptions(every, every) { KeepAlive = true });
    }

    private async Task AdmissionTickAsync(CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        try
        {
            if (Record.Plan is null) return;
            if (Record.State == JobState.Queued)
            {
                await AskForAdmissionAsync();
            }
            else if (!Record.HoldsMemory)
            {
                await FreeMemoryAsync();
            }
            else if (Record.State == JobState.Created && Record.AdmittedUtc + admission.Value.UploadTimeout < now)
            {
                await FailUnstartedAsync();
            }
            else if (Record.State == JobState.Completed && Record.EndedUtc + admission.Value.OutputRetention < now)
            {
                logger.LogInformation("Job {Job}: its output was not read within {Retention}; releasing its tensors", JobId, admission.Value.OutputRetention);
                await ReleaseAsync();
            }
            else
            {
                await Ledger.RenewAsync(MemoryRequest);
            }
        }
        catch (Exception e) when (TransientCalls.IsTransient(e))
        {
            // The ledger's silo is going or gone: the next tick asks again, and the ledger is rebuilt from renewals.
            logger.LogDebug(e, "Job {Job}: admission ledger unreachable; trying again", JobId);
        }
    }

    /// <summary>Asks again; once admitted, the shards join first, so a client that sees Created can upload at once.</summary>
    private async Task AskForAdmissionAsync()
    {
        var ticket = await Ledger.RequestAsync(MemoryRequest);
        switch (ticket.Outcome)
        {
            case AdmissionOutcome.Queued:
                Record.QueuePosition = ticket.QueuePosition;
                return;
            case AdmissionOutcome.Refused:
                // The cluster shrank while the job waited, and it no longer fits any way.
                await EndAsync(JobState.Failed, $"refused while queued: {ticket.Reason}");
                return;
        }
        var shards = Shards();
        await Task.WhenAll(Enumerable.Range(0, shards.Count).Select(s => Transient.RetryAsync(() => shards.InitializeAsync(s), default)));
        Record.State = JobState.Created;
        Record.Phase = "upload";
        Record.QueuePosition = 0;
        Record.AdmittedUtc = DateTime.UtcNow;
        await RefreshPlacementsAsync();
        Track();
        logger.LogInformation("Job {Job} admitted after waiting for memory", JobId);
    }

    /// <summary>A client that never uploaded (it went away) must not hold memory forever.</summary>
    private async Task FailUnstartedAsync()
    {
        logger.LogWarning("Job {Job}: its inputs were not uploaded within {Timeout} of its admission; failing it", JobId, admission.Value.UploadTimeout);
        // Tensors first: a status that says failed (memory given back) must also say released.
        await ReleaseAsync();
        await EndAsync(JobState.Failed, $"its inputs were not all uploaded within {admission.Value.UploadTimeout} of its admission, so its memory was given back; submit it again.");
        DeactivateOnIdle();
    }

    private async Task EndAsync(JobState ending, string error)
    {
        Record.State = ending;
        Record.Error = error;
        Record.EndedUtc = DateTime.UtcNow;
        await SaveAsync();
        Track();
        await FreeMemoryAsync();
    }

    /// <summary>Gives the job's memory back to the ledger (or leaves the queue) and stops the timer.</summary>
    private async Task FreeMemoryAsync()
    {
        admissionTimer?.Dispose();
        admissionTimer = null;
        try
        {
            await Ledger.ReleaseAsync(JobId).WaitAsync(ShardRecovery.ProbeTimeout);
        }
        catch (Exception e) when (TransientCalls.IsTransient(e))
        {
            // The entry expires on its own when nobody renews it.
            logger.LogDebug(e, "Job {Job}: admission ledger unreachable at release; its entry will expire", JobId);
        }
    }
}
