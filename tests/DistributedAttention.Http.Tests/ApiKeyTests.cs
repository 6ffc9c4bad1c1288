using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DistributedAttention.Http.Tests;

/// <summary>The job routes' key: loopback is served, others need the key, and with no key set nothing beyond loopback is served.</summary>
public sealed class ApiKeyTests
{
    private const string Key = "a-key-of-twenty-characters";

    [Theory]
    [InlineData("127.0.0.1", null, null, 200)]
    [InlineData("::1", null, null, 200)]
    [InlineData("10.1.2.3", null, null, 401)]
    [InlineData("10.1.2.3", "Bearer " + Key, null, 200)]
    [InlineData("10.1.2.3", "bearer " + Key, null, 200)]
    [InlineData("10.1.2.3", null, Key, 200)]
    [InlineData("10.1.2.3", "Bearer not-the-key-at-all-no", null, 401)]
    [InlineData("10.1.2.3", null, "not-the-key-at-all-no", 401)]
    [InlineData("172.17.0.1", "Basic " + Key, null, 401)]
    public async Task Beyond_loopback_the_job_routes_need_the_key(string remote, string? authorization, string? header, int expected)
    {
        Assert.Equal(expected, await StatusAsync(Key, remote, authorization, header));
        // With no key configured, only loopback gets in, and the answer says how to open it.
        Assert.Equal(IPAddress.IsLoopback(IPAddress.Parse(remote)) ? 200 : 403, await StatusAsync(null, remote, authorization, header));
    }

    [Fact]
    public void A_short_key_is_refused_at_start()
    {
        var failure = new ApiOptionsValidator().Validate(null, new ApiOptions { ApiKey = "short" }).FailureMessage;
        Assert.Contains("ApiKey must be at least 16 characters", failure, StringComparison.Ordinal);
    }

    private static async Task<int> StatusAsync(string? key, string remote, string? authorization, string? header)
    {
        var services = new ServiceCollection().AddSingleton(Options.Create(new ApiOptions { ApiKey = key })).BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (authorization is not null) context.Request.Headers.Authorization = authorization;
        if (header is not null) context.Request.Headers[ApiKeys.Header] = header;
        var result = await ApiKeys.RequireAsync(new DefaultEndpointFilterInvocationContext(context), _ => ValueTask.FromResult<object?>("served"));
        if (result is "served") return 200;
        var problem = Assert.IsType<ProblemHttpResult>(result);
        Assert.Contains(key is null ? "set DistributedAttention:Api:ApiKey" : "send 'Authorization: Bearer KEY'", problem.ProblemDetails.Detail, StringComparison.Ordinal);
        return problem.StatusCode;
    }
}
