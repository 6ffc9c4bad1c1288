using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DistributedAttention.Contracts;
using DistributedAttention.Formats;

namespace DistributedAttention.Checkpoints;

/// <summary>
/// A Hugging Face model folder as users download it: config.json, the weights (model.safetensors,
/// or model.safetensors.index.json and its shards), tokenizer.json, tokenizer_config.json and
/// generation_config.json when present. <see cref="Open"/> checks everything that can be checked
/// without reading the weights: the config, that every shard the index names exists, and that
/// every tensor the architecture needs is there with its shape and a floating element type.
/// </summary>
public sealed record ModelFolder
{
    /// <summary>The single-file weights' name.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The sharded weights' index.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>The folder.</summary>
    public required string Directory { get; init; }

    /// <summary>The model as config.json defines it.</summary>
    public required DecoderArchitecture Architecture { get; init; }

    /// <summary>Which file holds each tensor (absolute paths).</summary>
    public required IReadOnlyDictionary<string, string> TensorFiles { get; init; }

    /// <summary>Each needed tensor's element type in the files.</summary>
    public required IReadOnlyDictionary<string, ElementType> TensorTypes { get; init; }

    /// <summary>tokenizer.json, or null when the folder has none.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>
    /// SHA-256 over config.json and every weight file's name, size and safetensors header: the same
    /// folder copied to each silo gives the same value, without hashing gigabytes of weights.
    /// </summary>
    public required string Fingerprint { get; init; }

    /// <summary>Bytes of the weight files on disk.</summary>
    public required long FileBytes { get; init; }

    /// <summary>Bytes the weights take once converted to float32 for compute.</summary>
    public long Float32Bytes => Architecture.ParameterCount * 4;

    /// <summary>Opens and checks <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">Something is missing or malformed; the message names it.</exception>
    public static ModelFolder Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var dir = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(dir)) throw new InvalidDataException($"{directory}: no such model folder.");
        var configPath = Path.Combine(dir, "config.json");
        var architecture = HuggingFaceConfig.Read(configPath);
        var files = WeightFiles(dir);

        var headers = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        using var fingerprint = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        fingerprint.AppendData(File.ReadAllBytes(configPath));
        long bytes = 0;
        foreach (var file in files.Distinct().Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            bytes += info.Length;
            fingerprint.AppendData(Encoding.UTF8.GetBytes($"{Path.GetFileName(file)}\n{info.Length}\n"));
            using var stream = File.OpenRead(file);
            var header = ReadHeaderBytes(stream, file);
            fingerprint.AppendData(header);
            using var safetensors = new SafetensorsFile(File.OpenRead(file), leaveOpen: false, source: file);
            foreach (var tensor in safetensors.Tensors)
            {
                if (!owner.TryAdd(tensor.Name, file))
                    throw new InvalidDataException($"{file}: tensor '{tensor.Name}' is also in {owner[tensor.Name]}.");
                headers[tensor.Name] = tensor;
            }
        }

        architecture = WithTensorPrefix(architecture, headers);
        var types = new Dictionary<string, ElementType>(StringComparer.Ordinal);
        foreach (var (name, shape) in architecture.ExpectedTensors())
        {
            if (!headers.TryGetValue(name, out var tensor))
                throw new InvalidDataException($"{dir}: tensor '{name}' is missing from the weights (the config asks for [{string.Join(", ", shape)}]).");
            if (!tensor.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{owner[name]}: tensor '{name}' has shape [{string.Join(", ", tensor.Shape)}], the config asks for [{string.Join(", ", shape)}].");
            if (tensor.DType is not (ElementType.Float32 or ElementType.BFloat16 or ElementType.Float16))
                throw new InvalidDataException($"{owner[name]}: tensor '{name}' is {tensor.DType}; weights must be F32, BF16 or F16.");
            types[name] = tensor.DType;
        }
        var tokenizer = Path.Combine(dir, "tokenizer.json");
        return new ModelFolder
        {
            Directory = dir,
            Architecture = architecture,
            TensorFiles = owner,
            TensorTypes = types,
            TokenizerPath = File.Exists(tokenizer) ? tokenizer : null,
            Fingerprint = Convert.ToHexStringLower(fingerprint.GetHashAndReset()),
            FileBytes = bytes,
        };
    }

    /// <summary>The weight files: the index's shards (each must exist), or model.safetensors.</summary>
    private static List<string> WeightFiles(string dir)
    {
        var index = Path.Combine(dir, IndexFile);
        if (File.Exists(index))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllText(index));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{index}: not valid JSON ({e.Message}).", e);
            }
            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"{index}: has no 'weight_map' object.");
                var files = new List<string>();
                foreach (var entry in map.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString() is not { Length: > 0 } name || name.Contains('/') || name.Contains('\\') || name.StartsWith('.'))
                        throw new InvalidDataException($"{index}: tensor '{entry.Name}' maps to {entry.Value.GetRawText()}, not a file name in the folder.");
                    var path = Path.Combine(dir, name);
                    if (!File.Exists(path)) throw new InvalidDataException($"{index}: shard '{name}' (holding '{entry.Name}') is missing from the folder.");
                    files.Add(path);
                }
                if (files.Count == 0) throw new InvalidDataException($"{index}: the weight map is empty.");
                return files;
            }
        }
        var single = Path.Combine(dir, WeightsFile);
        if (File.Exists(single)) return [single];
        throw new InvalidDataException($"{dir}: no weights ({WeightsFile}, or {IndexFile} with its shards); .bin and .pt checkpoints are not read, convert them to safetensors.");
    }

    /// <summary>Newer multimodal Gemma 3 files name the text model <c>model.language_model.</c>; use what the file holds.</summary>
    private static DecoderArchitecture WithTensorPrefix(DecoderArchitecture architecture, Dictionary<string, SafetensorsTensorInfo> headers)
    {
        if (architecture.ModelType != "gemma3" || headers.ContainsKey($"{architecture.TensorPrefix}embed_tokens.weight")) return architecture;
        return headers.ContainsKey("model.language_model.embed_tokens.weight")
            ? architecture with { TensorPrefix = "model.language_model.", HeadTensor = "lm_head.weight" }
            : architecture;
    }

    private static byte[] ReadHeaderBytes(Stream stream, string file)
    {
        Span<byte> size = stackalloc byte[8];
        if (stream.ReadAtLeast(size, 8, throwOnEndOfStream: false) != 8) throw new InvalidDataException($"{file}: too short for a safetensors file.");
        var length = BitConverter.ToInt64(size);
        if (length <= 0 || length > SafetensorsHeader.MaxHeaderBytes || length > stream.Length - 8) throw new InvalidDataException($"{file}: not a safetensors file (header length {length}).");
        var header = new byte[length];
        stream.ReadExactly(header);
        return header;
    }
}
