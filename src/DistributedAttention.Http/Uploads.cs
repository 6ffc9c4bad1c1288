using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace DistributedAttention.Http;

/// <summary>Something wrong with an upload, with the HTTP status it deserves (413, 415, 400).</summary>
public sealed class UploadException(int statusCode, string title, string message) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The problem's title.</summary>
    public string Title { get; } = title;
}

/// <summary>
/// Streams a request's upload to a file, never holding it in memory: a raw body of an accepted
/// content type, or the first file of a multipart form (whose "options" field, a JSON object,
/// joins the request's options). Enforces the size limit while copying.
/// </summary>
public static class Uploads
{
    /// <summary>Saves the upload of <paramref name="request"/> to <paramref name="path"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="path">Where the upload goes.</param>
    /// <param name="rawTypes">Content types accepted as a raw body (e.g. text/plain).</param>
    /// <param name="limit">Largest upload in bytes.</param>
    /// <param name="options">Receives a multipart form's "options" JSON.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <returns>The upload's bytes.</returns>
    /// <exception cref="UploadException">Wrong content type (415), too large (413), or empty or malformed (400).</exception>
    public static async Task<long> SaveAsync(HttpRequest request, string path, IReadOnlyList<string> rawTypes, long limit, OptionBag options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(rawTypes);
        ArgumentNullException.ThrowIfNull(options);
        if (request.ContentLength > limit) throw TooLarge(limit);
        // The server's own limit is the API's (plus room for multipart framing); the copy below enforces the exact one.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit + (1 << 20);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
            throw new UploadException(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", $"no content type; send {string.Join(" or ", rawTypes)}, or multipart/form-data with a file.");
        var mediaType = type.MediaType.Value ?? "";
        long bytes;
        if (mediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            bytes = await SaveMultipartAsync(request, type, path, limit, options, cancellationToken).ConfigureAwait(false);
        }
        else if (rawTypes.Any(t => t.Equals(mediaType, StringComparison.OrdinalIgnoreCase)))
        {
            bytes = await CopyAsync(request.Body, path, limit, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new UploadException(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", $"content type '{mediaType}' is not accepted here; send {string.Join(" or ", rawTypes)}, or multipart/form-data with a file.");
        }
        if (bytes == 0) throw new UploadException(StatusCodes.Status400BadRequest, "Empty upload", "the upload is empty.");
        return bytes;
    }

    private static async Task<long> SaveMultipartAsync(HttpRequest request, MediaTypeHeaderValue type, string path, long limit, OptionBag options, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) throw new UploadException(StatusCodes.Status400BadRequest, "Malformed multipart body", "the multipart content type names no boundary.");
        var reader = new MultipartReader(boundary, request.Body);
        long? saved = null;
        try
        {
            for (var section = await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false); section is not null; section = await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)) continue;
                if (disposition.IsFileDisposition() && saved is null)
                {
                    saved = await CopyAsync(section.Body, path, limit, cancellationToken).ConfigureAwait(false);
                }
                else if (disposition.IsFormDisposition() && HeaderUtilities.RemoveQuotes(disposition.Name).Value == "options")
                {
                    using var text = new StreamReader(section.Body);
                    options.AddJson(await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false));
                }
            }
        }
        catch (IOException e) when (e is not EndOfStreamException || saved is null)
        {
            throw new UploadException(StatusCodes.Status400BadRequest, "Malformed multipart body", $"the multipart body could not be read: {e.Message}");
        }
        return saved ?? throw new UploadException(StatusCodes.Status400BadRequest, "No file", "the multipart form holds no file; add the input as a file field.");
    }

    private static async Task<long> CopyAsync(Stream body, string path, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        try
        {
            for (int read; (read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0;)
            {
                total += read;
                if (total > limit) throw TooLarge(limit);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }
        return total;
    }

    private static UploadException TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"the upload is larger than this server's limit of {limit:N0} bytes (DistributedAttention:Api:MaxUploadBytes).");
}
