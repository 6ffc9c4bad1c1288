using Microsoft.AspNetCore.Http;

namespace DistributedAttention.Http;

/// <summary>RFC 7807 problem responses that name the problem.</summary>
public static class Problems
{
    /// <summary>A problem with <paramref name="status"/>, a short <paramref name="title"/> and the <paramref name="detail"/> that names what is wrong.</summary>
    public static IResult Of(int status, string title, string detail) => TypedResults.Problem(detail, statusCode: status, title: title);

    /// <summary>404 for a job id nobody knows.</summary>
    public static IResult UnknownJob(string id) => Of(StatusCodes.Status404NotFound, "Unknown job", $"no job '{id}' exists on this cluster.");
}

/// <summary>The cluster has no active silo.</summary>
public sealed class ClusterDownException(string message) : Exception(message);

/// <summary>Response headers the API sets.</summary>
public static class ApiHeaders
{
    /// <summary>The trace id of the job a response is about (else of the request).</summary>
    public const string TraceId = "X-Trace-Id";
}
