using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Every container's environment resolves, and the silos and the API are configured as the contract says.</summary>
public sealed class EnvironmentTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_secret_configmap_and_variable_reference_resolves(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        foreach (var w in m.Workloads)
        {
            foreach (var c in w.AllContainers)
            {
                var env = (c.Env ?? []).ToList();
                var duplicates = env.GroupBy(e => e.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                Assert.True(duplicates.Count == 0, $"{overlay}: {w.Id}/{c.Name} sets {string.Join(", ", duplicates)} twice.");
                for (var i = 0; i < env.Count; i++)
                {
                    ContainerEnvironment.Resolve(m, c, env[i].Name); // throws on a missing Secret, ConfigMap or key
                    // Kubernetes replaces $(VAR) only with variables declared earlier in the list.
                    foreach (var name in ContainerEnvironment.References(env[i].Value ?? ""))
                        Assert.True(env.Take(i).Any(e => e.Name == name), $"{overlay}: {w.Id}/{c.Name} {env[i].Name} uses $({name}) before it is declared.");
                }
                foreach (var arg in (c.Command ?? []).Concat(c.Args ?? []))
                {
                    foreach (var name in ContainerEnvironment.References(arg))
                        Assert.True(env.Any(e => e.Name == name), $"{overlay}: {w.Id}/{c.Name} argument {arg} uses undeclared $({name}).");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Silos_learn_who_they_are_from_the_downward_api_and_cluster_through_redis(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var silo = m.Workload(Deployment.Silo).Container("silo");
        Assert.Equal("fieldRef:metadata.name", ContainerEnvironment.Resolve(m, silo, "POD_NAME"));
        Assert.Equal("fieldRef:metadata.namespace", ContainerEnvironment.Resolve(m, silo, "POD_NAMESPACE"));
        Assert.Equal("fieldRef:status.podIP", ContainerEnvironment.Resolve(m, silo, "POD_IP"));
        Assert.Equal("fieldRef:status.podIP", ContainerEnvironment.Resolve(m, silo, "DistributedAttention__Silo__AdvertisedAddress"));
        Assert.Equal("fieldRef:metadata.name", ContainerEnvironment.Resolve(m, silo, "DistributedAttention__Silo__SiloName"));
        Assert.Equal("Redis", silo.Literal("DistributedAttention__Silo__Clustering"));
        var redis = silo.Env("DistributedAttention__Silo__RedisConnectionString").ValueFrom?.SecretKeyRef;
        Assert.Equal((Deployment.RedisSecret, "connection-string"), (redis?.Name, redis?.Key));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_api_joins_the_same_cluster_as_the_silos(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var silo = m.Workload(Deployment.Silo).Container("silo");
        var api = m.Workload(Deployment.Api).Container("api");
        var args = api.Args.Select(a => ContainerEnvironment.Expand(m, api, a)).ToList();
        string After(string flag) => args[args.IndexOf(flag) + 1];
        Assert.Equal(ContainerEnvironment.Resolve(m, silo, "DistributedAttention__Silo__RedisConnectionString"), After("--redis"));
        Assert.Equal(ContainerEnvironment.Resolve(m, silo, "DistributedAttention__Silo__ClusterId"), After("--cluster-id"));
        Assert.Equal(ContainerEnvironment.Resolve(m, silo, "DistributedAttention__Silo__ServiceId"), After("--service-id"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Generated_secrets_hold_only_placeholders(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var expected = new Dictionary<string, string[]>
        {
            [Deployment.RedisSecret] = ["connection-string", "password"],
            [Deployment.DashboardSecret] = ["browser-token", "otlp-api-key"],
            [Deployment.ApiSecret] = ["api-key"],
        };
        Assert.Equal(expected.Keys.Order(), m.All<V1Secret>().Select(s => s.Metadata.Name).Order());
        foreach (var (name, keys) in expected)
        {
            var secret = m.Get<V1Secret>(name);
            Assert.Equal(keys.Order(), secret.Data.Keys.Order());
            foreach (var (key, value) in secret.Data)
                Assert.Contains("change-me", System.Text.Encoding.UTF8.GetString(value), StringComparison.Ordinal);
        }
        // The bundled Redis requires the password the connection string carries.
        var redis = m.Get<V1Secret>(Deployment.RedisSecret).Data;
        Assert.EndsWith(",password=" + System.Text.Encoding.UTF8.GetString(redis["password"]), System.Text.Encoding.UTF8.GetString(redis["connection-string"]), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_dashboard_asks_for_a_token_and_an_api_key_the_senders_have(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var dashboard = m.Workload(Deployment.Dashboard).Container("dashboard");
        Assert.Equal("BrowserToken", dashboard.Literal("Dashboard__Frontend__AuthMode"));
        Assert.Equal((Deployment.DashboardSecret, "browser-token"), KeyOf(dashboard, "Dashboard__Frontend__BrowserToken"));
        Assert.Equal("ApiKey", dashboard.Literal("Dashboard__Otlp__AuthMode"));
        Assert.Equal((Deployment.DashboardSecret, "otlp-api-key"), KeyOf(dashboard, "Dashboard__Otlp__PrimaryApiKey"));
        Assert.DoesNotContain(dashboard.Env, e => e.Name.Contains("UNSECURED", StringComparison.OrdinalIgnoreCase));

        var apiKey = ContainerEnvironment.Resolve(m, dashboard, "Dashboard__Otlp__PrimaryApiKey");
        foreach (var (workload, container) in new[] { (Deployment.Silo, "silo"), (Deployment.Api, "api") })
        {
            var c = m.Workload(workload).Container(container);
            Assert.Equal("x-otlp-api-key=" + apiKey, ContainerEnvironment.Resolve(m, c, "OTEL_EXPORTER_OTLP_HEADERS"));
            // The header is built from the Secret, never written out in the manifest.
            Assert.DoesNotContain(apiKey, c.Literal("OTEL_EXPORTER_OTLP_HEADERS"), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_api_takes_its_key_from_a_secret_long_enough_for_its_validator(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var api = m.Workload(Deployment.Api).Container("api");
        Assert.Equal((Deployment.ApiSecret, "api-key"), KeyOf(api, "DistributedAttention__Api__ApiKey"));
        // The placeholder starts (16+ characters) so a test deployment runs; README says to replace it.
        Assert.True(ContainerEnvironment.Resolve(m, api, "DistributedAttention__Api__ApiKey").Length >= 16);
    }

    private static (string?, string?) KeyOf(V1Container c, string name)
    {
        var s = c.Env(name).ValueFrom?.SecretKeyRef;
        return (s?.Name, s?.Key);
    }
}
