namespace DistributedAttention.Text.Tests;

/// <summary>
/// The public-domain books in <c>shared/books</c>, found by walking up from the test binaries
/// (the folder sits beside the repository). Each book is read once and shared by all tests.
/// </summary>
internal static class RealBooks
{
    public const string WarAndPeace = "war-and-peace.txt";
    public const string PrideAndPrejudice = "pride-and-prejudice.txt";
    public const string KingJamesBible = "king-james-bible.txt";

    private static readonly Lazy<string> Folder = new(FindFolder);
    private static readonly Dictionary<string, Lazy<Book>> Books = new()
    {
        [WarAndPeace] = new(() => BookReader.Read(PathOf(WarAndPeace))),
        [PrideAndPrejudice] = new(() => BookReader.Read(PathOf(PrideAndPrejudice))),
        [KingJamesBible] = new(() => BookReader.Read(PathOf(KingJamesBible))),
    };

    /// <summary>Full path of a book; fails the test with a clear message when the books are missing.</summary>
    public static string PathOf(string name)
    {
        string path = Path.Combine(Folder.Value, name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Test book '{name}' is missing from {Folder.Value}.", path);
        }

        return path;
    }

    /// <summary>The book read with default options, cached.</summary>
    public static Book Get(string name) => Books[name].Value;

    private static string FindFolder()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "books");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            "The real test books were not found: no folder 'shared/books' in "
            + $"'{AppContext.BaseDirectory}' or any folder above it. Put the shared folder beside the repository.");
    }
}
