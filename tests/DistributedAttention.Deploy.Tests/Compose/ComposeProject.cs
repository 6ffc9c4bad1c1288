namespace DistributedAttention.Deploy.Tests.Compose;

/// <summary>
/// One compose project of the repository's docker-compose.yml under a name of its own (so it
/// never touches a user's "distattn" project), with the variables the test chooses: loopback
/// ports, images, timeouts. <see cref="DisposeAsync"/> removes its containers, network and volumes.
/// </summary>
internal sealed class ComposeProject : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(6);
    private readonly string[] files;

    public ComposeProject(IReadOnlyDictionary<string, string> variables, params string[] files)
    {
        Name = "distattn-test-" + Guid.NewGuid().ToString("N")[..8];
        Variables = variables;
        this.files = files.Length > 0 ? files : [Path.Combine(RepositoryPaths.Root, "docker-compose.yml")];
    }

    /// <summary>The compose project name.</summary>
    public string Name { get; }

    /// <summary>The variables docker-compose.yml is read with.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary><c>docker-compose -p NAME -f FILE… ARGS</c>.</summary>
    public Task<Docker.Result> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var all = new List<string> { "-p", Name };
        foreach (var file in files) all.AddRange(["-f", file]);
        all.AddRange(arguments);
        return Docker.RunAsync("docker-compose", all, timeout, Variables);
    }

    /// <summary>
    /// Starts (or changes) the project and waits until every service is healthy. A failure names
    /// its cause on the first line (compose's last lines), then each container's state and the
    /// services' recent logs, so that the top of a test report says why.
    /// </summary>
    public async Task UpAsync(params string[] arguments)
    {
        var result = await RunAsync(CommandTimeout, ["up", "-d", "--wait", "--wait-timeout", "300", .. arguments]);
        if (result.ExitCode == 0) return;
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var cause = string.Join(" | ", lines.TakeLast(3));
        var states = (await RunAsync(TimeSpan.FromSeconds(60), "ps", "-a", "--format", "{{.Service}}: {{.State}} ({{.Status}})")).Output;
        throw new InvalidOperationException(
            $"compose up {string.Join(' ', arguments)} failed (exit {result.ExitCode}): {cause}\ncontainers:\n{states}\nlogs:\n{await TailAsync()}\ncompose output:\n{result.Output}");
    }

    /// <summary>The ids of a service's running containers.</summary>
    public async Task<IReadOnlyList<string>> ContainersAsync(string service)
    {
        var result = (await RunAsync(TimeSpan.FromSeconds(60), "ps", "-q", service)).EnsureSuccess($"compose ps {service}");
        return [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>A container's address on the project network.</summary>
    public static async Task<string> AddressOfAsync(string container) =>
        (await Docker.CliAsync(TimeSpan.FromSeconds(30), "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container))
            .EnsureSuccess($"docker inspect {container}").Output.Trim();

    /// <summary>One field of <c>docker inspect</c> (a Go template).</summary>
    public static async Task<string> InspectAsync(string container, string template) =>
        (await Docker.CliAsync(TimeSpan.FromSeconds(30), "inspect", "-f", template, container)).EnsureSuccess($"docker inspect {container}").Output.Trim();

    /// <summary>A container's output so far.</summary>
    public static async Task<string> LogsAsync(string container) =>
        (await Docker.CliAsync(TimeSpan.FromSeconds(60), "logs", container)).Output;

    /// <summary>Every service's recent output, for a failure message.</summary>
    public async Task<string> TailAsync() => (await RunAsync(TimeSpan.FromSeconds(60), "logs", "--no-color", "--tail", "40")).Output;

    public async ValueTask DisposeAsync()
    {
        // Containers, the network and the volumes this project made; silos get a short grace here.
        await RunAsync(TimeSpan.FromMinutes(3), "down", "-v", "--remove-orphans", "--timeout", "10");
    }
}
