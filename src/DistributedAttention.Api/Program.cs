using DistributedAttention.Client;
using DistributedAttention.Http;
using Microsoft.Extensions.Options;

// The API in front of a cluster it reaches as a client (DistributedAttention:Client: gateways or
// Redis, from configuration or DistributedAttention__Client__… variables); --urls says where it listens.
var builder = WebApplication.CreateBuilder(args);
builder.AddDistributedAttentionClient();
builder.Services.AddSingleton<IClusterAccess>(services => new GrainClusterAccess(services.GetRequiredService<IGrainFactory>(), "cluster (distattn-api)"));
builder.AddDistributedAttentionApi("distattn-api");
var app = builder.Build();
app.MapDistributedAttentionApi();
app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"api up: {string.Join(", ", app.Urls)}"));
try
{
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    // Settings that cannot work: one line each, and the usage exit code.
    foreach (var failure in e.Failures) Console.Error.WriteLine($"error: {failure}");
    return 2;
}
catch (Orleans.Runtime.Messaging.ConnectionFailedException e)
{
    Console.Error.WriteLine($"error: no gateway of the cluster answered ({e.Message}); set DistributedAttention__Client__Gateways__0=HOST:PORT or Redis clustering.");
    return 1;
}
