using System.Text.Encodings.Web;
using System.Text.Json;

namespace DistributedAttention.Pipeline;

/// <summary>How the CLI writes JSON: snake_case names (for Python readers), indented, non-ASCII kept readable.</summary>
public static class JsonFiles
{
    /// <summary>The serializer options of every file the CLI writes.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="value"/> to <paramref name="path"/> through a temporary file, so readers never see half a file.</summary>
    public static void Write<T>(string path, T value)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(value, Options) + "\n");
        File.Move(temporary, path, overwrite: true);
    }
}
