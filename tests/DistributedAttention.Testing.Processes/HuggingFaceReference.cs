using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;

namespace DistributedAttention.Testing.Processes;

/// <summary>
/// Runs tests/reference/hf_reference.py: tiny random checkpoints in the Hugging Face layout, and a
/// float64 forward written from the families' published definitions (PyTorch, not this project).
/// </summary>
public static class HuggingFaceReference
{
    private const string Install = "the Hugging Face reference needs python3 with torch and safetensors "
        + "(Debian 13: apt-get install python3-torch python3-safetensors; eng/test.sh puts them into the test sandbox).";

    /// <summary>Writes a model folder for <paramref name="spec"/> (family, shapes, config overrides; see the script) into <paramref name="directory"/>.</summary>
    public static void Make(string directory, object spec)
    {
        var specPath = Path.Combine(Path.GetTempPath(), $"distattn-hf-spec-{Guid.NewGuid():N}.json");
        File.WriteAllText(specPath, JsonSerializer.Serialize(spec));
        try
        {
            Run("make", directory, specPath);
        }
        finally
        {
            File.Delete(specPath);
        }
    }

    /// <summary>Runs the reference on <paramref name="ids"/> and writes hidden, logprob and entropy (float64) to <paramref name="output"/>.</summary>
    public static void Forward(string directory, IReadOnlyList<long> ids, string output)
    {
        var idsPath = output + ".ids.json";
        File.WriteAllText(idsPath, JsonSerializer.Serialize(ids));
        try
        {
            Run("run", directory, idsPath, output);
        }
        finally
        {
            File.Delete(idsPath);
        }
    }

    /// <summary>
    /// Writes a hand-built tokenizer.json of <paramref name="kind"/> (<c>byte-level</c> or <c>sentencepiece</c>)
    /// with its tokenizer_config.json and generation_config.json into <paramref name="directory"/>;
    /// returns the script's JSON: the BOS id and the ids the files define for a few texts.
    /// </summary>
    public static JsonDocument MakeTokenizer(string kind, string directory) => JsonDocument.Parse(RunScript("hf_tokenizers.py", kind, directory));

    private static void Run(params string[] arguments) => RunScript("hf_reference.py", arguments);

    private static string RunScript(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(Repo.Root, "tests", "reference", script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"python3 is not installed ({e.Message}): {Install}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var message = stderr.Result.Trim();
                if (message.Contains("ModuleNotFoundError", StringComparison.Ordinal)) message += ": " + Install;
                throw new InvalidOperationException($"{script} {string.Join(' ', arguments.Take(1))} failed with exit code {process.ExitCode}: {message} {stdout}");
            }
            return stdout;
        }
    }
}
