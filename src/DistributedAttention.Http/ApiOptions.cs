namespace DistributedAttention.Http;

/// <summary>Settings of the HTTP API, bound to <c>DistributedAttention:Api</c>.</summary>
public sealed class ApiOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "DistributedAttention:Api";

    /// <summary>Where each job's uploaded input and outputs live, one folder per job (default: a folder under the temporary folder).</summary>
    public string DataDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "distattn-api");

    /// <summary>Largest accepted upload (a book or a safetensors file), in bytes; larger ones get 413.</summary>
    public long MaxUploadBytes { get; set; } = 512L << 20;

    /// <summary>Most tokens a book may have (after <c>max-tokens</c>); longer books get 400 naming the limit.</summary>
    public long MaxTokens { get; set; } = 16_000_000;

    /// <summary>Key callers beyond loopback must send to use the job routes (<c>Authorization: Bearer KEY</c> or <c>X-Api-Key</c>); unset serves them to loopback only.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Token that opens the Orleans dashboard (/dashboard) to addresses other than loopback; unset keeps it loopback-only.</summary>
    public string? DashboardToken { get; set; }

    /// <summary>How long an ended job (its record, upload and outputs) is kept before it is deleted; its status stays readable from the cluster.</summary>
    public TimeSpan JobRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The folder of Hugging Face model folders a book job may name (<c>model=NAME</c> is the folder
    /// NAME in it; a caller never sends a path). Every silo must see it at the same path (a shared
    /// read-only volume). Unset: no pretrained models are served.
    /// </summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>How often a job's progress is polled and sent to event streams.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
