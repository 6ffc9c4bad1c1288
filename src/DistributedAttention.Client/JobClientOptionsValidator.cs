using Microsoft.Extensions.Options;

namespace DistributedAttention.Client;

/// <summary>Checks <see cref="JobClientOptions"/>.</summary>
public sealed class JobClientOptionsValidator : IValidateOptions<JobClientOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, JobClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (options.PollInterval <= TimeSpan.Zero) problems.Add($"PollInterval must be positive (got {options.PollInterval}).");
        if (options.UnreachableLimit <= TimeSpan.Zero) problems.Add($"UnreachableLimit must be positive (got {options.UnreachableLimit}).");
        if (options.OutputRestores < 0) problems.Add($"OutputRestores must be >= 0 (got {options.OutputRestores}).");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
