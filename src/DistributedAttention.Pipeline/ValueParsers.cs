using System.Globalization;
using System.Net;
using DistributedAttention.Abstractions;
using DistributedAttention.Contracts;

namespace DistributedAttention.Pipeline;

/// <summary>Parses compound option values (command-line flags and HTTP query parameters alike); every failure is an <see cref="ArgumentException"/> naming the option.</summary>
public static class ValueParsers
{
    /// <summary>
    /// <c>--window</c>: <c>L,R</c> keys to the left and right, or one number for both; <c>inf</c>
    /// (or <c>*</c>) leaves a side unbounded.
    /// </summary>
    public static (int? Left, int? Right) Window(string text, string option = "--window")
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || parts.Any(p => p.Length == 0))
        {
            throw new ArgumentException($"{option} '{text}' is not 'L,R' (keys visible left and right of a query, e.g. 128,128; 'inf' for unbounded).");
        }
        var left = Side(parts[0], text, option);
        var right = parts.Length == 2 ? Side(parts[1], text, option) : left;
        return (left, right);
    }

    private static int? Side(string part, string text, string option)
    {
        if (part is "inf" or "*" or "none") return null;
        if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new ArgumentException($"{option} '{text}': '{part}' is not a non-negative integer or 'inf'.");
        }
        return value;
    }

    /// <summary><c>--global-positions</c>: comma-separated non-negative positions, e.g. <c>0,17,512</c>.</summary>
    public static long[] Positions(string text, string option = "--global-positions")
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var result = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw new ArgumentException($"{option} '{text}': '{part}' is not a non-negative integer position.");
            }
            result.Add(value);
        }
        return [.. result.Distinct().Order()];
    }

    /// <summary><c>--wire</c>: fp32, fp16, bf16.</summary>
    public static WireDType Wire(string text, string option = "--wire") => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "f32" => WireDType.Float32,
        "fp16" or "float16" or "f16" or "half" => WireDType.Float16,
        "bf16" or "bfloat16" => WireDType.BFloat16,
        _ => throw new ArgumentException($"{option} '{text}' is not one of fp32, fp16, bf16."),
    };

    /// <summary><c>--dtype</c> of a pretrained model: fp32 or bf16, as <see cref="Abstractions.PretrainedModel.ComputeType"/> names it.</summary>
    public static string ComputeType(string text, string option = "--dtype") => text.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "f32" => Abstractions.PretrainedModel.Float32,
        "bf16" or "bfloat16" => Abstractions.PretrainedModel.BFloat16,
        _ => throw new ArgumentException($"{option} '{text}' is not one of fp32, bf16."),
    };

    /// <summary>The command-line name of <paramref name="wire"/>.</summary>
    public static string WireName(WireDType wire) => wire switch
    {
        WireDType.Float16 => "fp16",
        WireDType.BFloat16 => "bf16",
        _ => "fp32",
    };

    /// <summary><c>HOST:PORT</c> (host name, IPv4, or <c>[IPv6]</c>); <paramref name="option"/> names the option in errors.</summary>
    public static DnsEndPoint Endpoint(string text, string option)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        var portText = colon > 0 ? text[(colon + 1)..] : "";
        if (host.Length == 0 || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"{option} '{text}' is not HOST:PORT with a port in 1-65535 (e.g. localhost:30000).");
        }
        return new DnsEndPoint(host, port);
    }

    /// <summary><c>--devices</c>: comma-separated device slots such as <c>cpu,cpu</c> or <c>cuda:0,cuda:1</c>.</summary>
    public static string[] Devices(string text, string option = "--devices")
    {
        var devices = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (devices.Length == 0) throw new ArgumentException($"{option} '{text}' names no device (e.g. cpu or cuda:0,cuda:1).");
        foreach (var device in devices)
        {
            var ok = device == "cpu" || (device.StartsWith("cuda:", StringComparison.Ordinal)
                && int.TryParse(device.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _));
            if (!ok) throw new ArgumentException($"{option} '{text}': '{device}' is not 'cpu' or 'cuda:N'.");
        }
        return devices;
    }

    /// <summary>A size in bytes: a number with an optional unit, <c>512MiB</c>, <c>8GiB</c>, <c>8G</c>, <c>1.5TiB</c> (K, M, G, T count in 1024s).</summary>
    public static long ByteSize(string text, string option)
    {
        var trimmed = text.Trim();
        var split = trimmed.Length - trimmed.Reverse().TakeWhile(char.IsLetter).Count();
        var (number, unit) = (trimmed[..split].Trim(), trimmed[split..].ToUpperInvariant());
        var shift = unit switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (shift < 0 || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0 || value * Math.Pow(2, shift) >= long.MaxValue)
            throw new ArgumentException($"{option} '{text}' is not a size such as 512MiB, 8GiB or a number of bytes.");
        return (long)(value * Math.Pow(2, shift));
    }
}
