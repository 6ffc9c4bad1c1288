using System.CommandLine;
using System.Net.Http.Json;
using DistributedAttention.Abstractions;

namespace DistributedAttention.Cli.Commands;

/// <summary>
/// <c>distattn drain</c>: tells the silo on this machine to drain (no new work; the running work
/// finishes) and waits until it has. Meant for a Kubernetes preStop hook, before SIGTERM stops the silo.
/// </summary>
internal static class DrainCommand
{
    public static Command Create(CliContext context)
    {
        var http = new Option<string>("--http") { Description = "The silo's HTTP address (its --http port).", DefaultValueFactory = _ => "http://127.0.0.1:8080", HelpName = "URL" };
        var noWait = new Option<bool>("--no-wait") { Description = "Start the drain and return at once." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait at most (the silo's own DrainTimeout bounds the drain).", DefaultValueFactory = _ => 600, HelpName = "SECONDS" };
        var command = new Command("drain", "Drain the silo on this machine: it takes no new shards, lets its running jobs finish, then may stop.") { http, noWait, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var address = result.GetValue(http)!;
            if (!Uri.TryCreate(address, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
                throw new UsageException($"--http must be an http(s) URL (got '{address}').");
            var seconds = result.GetValue(timeout);
            if (seconds <= 0) throw new UsageException($"--timeout must be positive (got {seconds}).");
            var wait = !result.GetValue(noWait);
            using var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(seconds) };
            HttpResponseMessage response;
            try
            {
                response = await client.PostAsync(wait ? "/admin/drain?wait=true" : "/admin/drain", null, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                await context.Error.WriteLineAsync($"error: no silo answers at {baseUri}: {e.Message}").ConfigureAwait(false);
                return ExitCodes.JobFailed;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await context.Error.WriteLineAsync($"error: the silo at {baseUri} had not drained after {seconds} s.").ConfigureAwait(false);
                return ExitCodes.JobFailed;
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    await context.Error.WriteLineAsync($"error: the silo at {baseUri} refused the drain ({(int)response.StatusCode}): {body}").ConfigureAwait(false);
                    return ExitCodes.JobFailed;
                }
                var status = await response.Content.ReadFromJsonAsync<SiloDrainStatus>(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("the silo answered the drain with no status.");
                var stdout = context.Console.Profile.Out.Writer;
                await stdout.WriteLineAsync(SiloCommand.DrainLine(status)).ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                return status.Phase is DrainPhase.Drained or DrainPhase.Draining ? ExitCodes.Ok : ExitCodes.JobFailed;
            }
        });
        return command;
    }
}
