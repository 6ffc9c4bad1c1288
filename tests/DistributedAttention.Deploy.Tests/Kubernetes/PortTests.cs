using System.Globalization;
using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>Ports agree everywhere: containers, their configuration, Services and the contract.</summary>
public sealed class PortTests
{
    public static TheoryData<string> Overlays => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Silo_ports_are_named_and_equal_the_configured_ones(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var silo = m.Workload(Deployment.Silo).Container("silo");
        Assert.Equal(Deployment.SiloPort, Port(silo, "silo"));
        Assert.Equal(Deployment.GatewayPort, Port(silo, "gateway"));
        Assert.Equal(Deployment.HttpPort, Port(silo, "http"));
        Assert.Equal(Deployment.SiloPort.ToString(CultureInfo.InvariantCulture), silo.Literal("DistributedAttention__Silo__SiloPort"));
        Assert.Equal(Deployment.GatewayPort.ToString(CultureInfo.InvariantCulture), silo.Literal("DistributedAttention__Silo__GatewayPort"));
        Assert.Equal(Deployment.HttpPort.ToString(CultureInfo.InvariantCulture), Flag(silo.Args, "--http"));
        Assert.Equal("0.0.0.0", Flag(silo.Args, "--http-host"));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Api_listens_where_its_service_and_probes_point(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var api = m.Workload(Deployment.Api);
        var container = api.Container("api");
        Assert.Equal("serve", container.Args[0]);
        Assert.Equal(Deployment.HttpPort, Port(container, "http"));
        Assert.Equal(Deployment.HttpPort.ToString(CultureInfo.InvariantCulture), Flag(container.Args, "--port"));
        Assert.Equal("0.0.0.0", Flag(container.Args, "--host"));
        var dataDir = Flag(container.Args, "--data-dir");
        Assert.Equal("/var/lib/distattn", dataDir);
        var mount = Assert.Single(container.VolumeMounts, v => v.MountPath == dataDir);
        Assert.NotEqual(true, mount.ReadOnlyProperty);
        Assert.Contains(api.Pod.Volumes, v => v.Name == mount.Name && (v.EmptyDir is not null || v.PersistentVolumeClaim is not null));
    }

    [Theory]
    [InlineData(Deployment.Gateway, false, new[] { "gateway" }, new[] { Deployment.GatewayPort })]
    [InlineData(Deployment.Silo, true, new[] { "silo", "http" }, new[] { Deployment.SiloPort, Deployment.HttpPort })]
    [InlineData(Deployment.Api, false, new[] { "http" }, new[] { Deployment.HttpPort })]
    [InlineData(Deployment.Redis, false, new[] { "redis" }, new[] { Deployment.RedisPort })]
    [InlineData(Deployment.Dashboard, false, new[] { "ui", "otlp-grpc", "otlp-http" }, new[] { Deployment.DashboardUi, Deployment.DashboardOtlpGrpc, Deployment.DashboardOtlpHttp })]
    public void Service_ports_are_the_contract_ports(string service, bool headless, string[] names, int[] ports)
    {
        foreach (var overlay in Rendered.Overlays)
        {
            var s = Rendered.Overlay(overlay).Get<V1Service>(service);
            Assert.Equal(headless, s.Spec.ClusterIP == "None");
            Assert.Equal(names, s.Spec.Ports.Select(p => p.Name));
            Assert.Equal(ports, s.Spec.Ports.Select(p => p.Port));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_service_port_reaches_the_same_container_port_on_every_selected_pod(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        foreach (var s in m.All<V1Service>())
        {
            foreach (var port in s.Spec.Ports)
            {
                Assert.Equal("TCP", port.Protocol ?? "TCP");
                var target = port.TargetPort?.Value ?? port.Port.ToString(CultureInfo.InvariantCulture);
                foreach (var w in m.Selected(s.Spec.Selector))
                {
                    var containerPort = int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                        ? w.ListensOn(number) ? number : (int?)null
                        : w.NamedPort(target)?.ContainerPort;
                    Assert.True(containerPort == port.Port, $"{overlay}: Service {s.Metadata.Name} port {port.Name} ({port.Port} -> {target}) reaches {containerPort?.ToString(CultureInfo.InvariantCulture) ?? "no port"} on {w.Id}.");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Dashboard_listens_on_its_container_ports_on_all_interfaces(string overlay)
    {
        var dashboard = Rendered.Overlay(overlay).Workload(Deployment.Dashboard).Container("dashboard");
        foreach (var (variable, portName) in new[] { ("ASPNETCORE_URLS", "ui"), ("ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL", "otlp-grpc"), ("ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL", "otlp-http") })
        {
            var url = new Uri(dashboard.Literal(variable));
            Assert.Equal("0.0.0.0", url.Host);
            Assert.Equal(Port(dashboard, portName), url.Port);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Silos_and_api_send_telemetry_to_the_dashboard_service(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var otlp = m.Get<V1Service>(Deployment.Dashboard).Spec.Ports.Single(p => p.Name == "otlp-grpc");
        foreach (var (workload, container) in new[] { (Deployment.Silo, "silo"), (Deployment.Api, "api") })
        {
            var c = m.Workload(workload).Container(container);
            var endpoint = new Uri(c.Literal("OTEL_EXPORTER_OTLP_ENDPOINT"));
            Assert.Equal(Deployment.Dashboard, endpoint.Host);
            Assert.Equal(otlp.Port, endpoint.Port);
            Assert.Equal("grpc", c.Literal("OTEL_EXPORTER_OTLP_PROTOCOL"));
            Assert.Equal(workload, c.Literal("OTEL_SERVICE_NAME"));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_redis_connection_string_names_the_redis_service(string overlay)
    {
        var m = Rendered.Overlay(overlay);
        var silo = m.Workload(Deployment.Silo).Container("silo");
        var connection = ContainerEnvironment.Resolve(m, silo, "DistributedAttention__Silo__RedisConnectionString");
        var endpoint = connection.Split(',')[0].Split(':');
        var service = m.Get<V1Service>(endpoint[0]);
        Assert.Equal(Deployment.Redis, service.Metadata.Name);
        Assert.Equal(service.Spec.Ports.Single().Port, int.Parse(endpoint[1], CultureInfo.InvariantCulture));
        Assert.Equal(Deployment.RedisPort, Port(m.Workload(Deployment.Redis).Container("redis"), "redis"));
    }

    private static int Port(V1Container container, string name) =>
        (container.Ports ?? []).SingleOrDefault(p => p.Name == name)?.ContainerPort
        ?? throw new KeyNotFoundException($"Container {container.Name} has no port named {name}.");

    private static string Flag(IList<string>? args, string flag)
    {
        var list = args ?? [];
        var i = list.IndexOf(flag);
        Assert.True(i >= 0 && i + 1 < list.Count, $"The arguments [{string.Join(" ", list)}] have no value for {flag}.");
        return list[i + 1];
    }
}
