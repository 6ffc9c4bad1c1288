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
        if (options.MaxUploadBytes < 1) failures.Add($"MaxUploadBytes must be >= 1 (got {options.MaxUploadBytes}).");
        if (options.DashboardToken is { Length: > 0 and < 16 }) failures.Add("DashboardToken must be at least 16 characters (it guards the cluster's dashboard).");
        if (options.ProgressInterval <= TimeSpan.Zero || options.ProgressInterval > TimeSpan.FromMinutes(1))
            failures.Add($"ProgressInterval must be between 0 and 1 minute (got {options.ProgressInterval}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
