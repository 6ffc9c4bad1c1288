using DistributedAttention.Abstractions;

namespace DistributedAttention.Grains.Jobs;

/// <summary>
/// Back to the upload: shards lost with their silos after the upload and before the first copies
/// existed took their inputs with them. The job returns to <see cref="JobState.Created"/> with
/// the lost shards joined again, empty; its client (watching for this) uploads again and starts
/// it again. Shards that had prepared keep their input.
/// </summary>
public sealed partial class JobGrain
{
    /// <summary>Times a job may go back to its upload before it fails.</summary>
    private const int MaxUploads = 3;

    private async Task BackToUploadAsync(InputsLostException lost)
    {
        Record.Uploads++;
        var shards = Shards();
        await Task.WhenAll(lost.Shards.Select(s => Transient.RetryAsync(() => shards.InitializeAsync(s), default)));
        // The shards' new places first: the client reads them from the plan once it sees Created.
        await RefreshPlacementsAsync();
        Record.State = JobState.Created;
        Record.Phase = "upload";
        Record.Prepared = false;
        Record.AdmittedUtc = DateTime.UtcNow;
        Record.Error = null;
        await SaveAsync();
    }
}
