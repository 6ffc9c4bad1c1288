using System.CommandLine;
using System.Text;
using DistributedAttention.Cli.Samples;
using DistributedAttention.Text;
using Spectre.Console;

namespace DistributedAttention.Cli.Commands;

/// <summary><c>distattn sample</c>: writes a generated sample book so <c>distattn process</c> has input on a fresh clone.</summary>
internal static class SampleCommand
{
    public const int MaxTokens = 2_000_000;

    public static Command Create(CliContext context)
    {
        var output = new Option<string>("--output", "-o") { Description = "File to write.", DefaultValueFactory = _ => "sample-book.txt", HelpName = "FILE" };
        var tokens = new Option<int>("--tokens") { Description = $"Approximate size in GPT-2 tokens (1 to {MaxTokens}).", DefaultValueFactory = _ => 100_000, HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the text; same seed and size, same book.", DefaultValueFactory = _ => 1 };
        var command = new Command("sample", "Write a generated sample book with chapter headings.") { output, tokens, seed };
        command.SetAction(result =>
        {
            var path = result.GetValue(output)!;
            var size = result.GetValue(tokens);
            if (size is < 1 or > MaxTokens) throw new UsageException($"--tokens must be between 1 and {MaxTokens} (got {size}).");
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!Directory.Exists(directory)) throw new UsageException($"--output '{path}': the folder '{directory}' does not exist.");

            File.WriteAllText(path, SampleBookGenerator.Generate(size, result.GetValue(seed)), new UTF8Encoding(false));
            var book = BookReader.Read(path);
            var chapters = book.Sections.Count(s => s.Kind == SectionKind.Chapter);
            context.Console.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/]: {book.TokenCount:N0} tokens, {chapters} chapters.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
