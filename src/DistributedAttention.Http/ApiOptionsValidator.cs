using Microsoft.Extensions.Options;

namespace DistributedAttention.Http;

/// <summary>Checks <see cref="ApiOptions"/> at start; every failure names the setting.</summary>
public sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory)) failures.Add("DataDirectory must name a folder.");
        else if (Unwritable(options.DataDirectory) is { } why) failures.Add($"DataDirectory '{options.DataDirectory}' cannot be written: {why}");
        if (options.JobRetention < TimeSpan.FromMinutes(1) || options.JobRetention > TimeSpan.FromDays(365))
            failures.Add($"JobRetention must be between 00:01:00 and 365.00:00:00 (got {options.JobRetention}).");
        if (options.MaxUploadBytes < 1) failures.Add($"MaxUploadBytes must be >= 1 (got {options.MaxUploadBytes}).");
        if (options.MaxTokens < 1) failures.Add($"MaxTokens must be >= 1 (got {options.MaxTokens}).");
        if (options.ModelsDirectory is { } models && (!Path.IsPathFullyQualified(models) || !Directory.Exists(models)))
            failures.Add($"ModelsDirectory '{models}' must be an absolute path to an existing folder (the silos read the models at the same path).");
        if (options.ApiKey is { Length: > 0 and < 16 }) failures.Add("ApiKey must be at least 16 characters (it guards the job routes).");
        if (options.DashboardToken is { Length: > 0 and < 16 }) failures.Add("DashboardToken must be at least 16 characters (it guards the cluster's dashboard).");
        if (options.ProgressInterval <= TimeSpan.Zero || options.ProgressInterval > TimeSpan.FromMinutes(1))
            failures.Add($"ProgressInterval must be between 0 and 1 minute (got {options.ProgressInterval}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why no job folder could be made in <paramref name="folder"/>, or null: it is created and a file written and deleted there.</summary>
    private static string? Unwritable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".write-check-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return e.Message;
        }
    }
}
