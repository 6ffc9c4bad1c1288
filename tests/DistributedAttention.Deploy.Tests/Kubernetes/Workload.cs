using k8s.Models;

namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>A Deployment or StatefulSet, reduced to what pods it makes.</summary>
/// <param name="Kind">Deployment or StatefulSet.</param>
/// <param name="Name">Its name.</param>
/// <param name="Selector">spec.selector.</param>
/// <param name="Template">spec.template.</param>
internal sealed record Workload(string Kind, string Name, V1LabelSelector Selector, V1PodTemplateSpec Template)
{
    /// <summary>The pod spec.</summary>
    public V1PodSpec Pod => Template.Spec;

    /// <summary>Init and app containers.</summary>
    public IEnumerable<V1Container> AllContainers => (Pod.InitContainers ?? []).Concat(Pod.Containers);

    /// <summary>The container called <paramref name="name"/>.</summary>
    public V1Container Container(string name) =>
        Pod.Containers.SingleOrDefault(c => c.Name == name) ?? throw new KeyNotFoundException($"{Kind}/{Name} has no container {name}.");

    /// <summary>The container port (over all containers) called <paramref name="portName"/>, or null.</summary>
    public V1ContainerPort? NamedPort(string portName) =>
        Pod.Containers.SelectMany(c => c.Ports ?? []).SingleOrDefault(p => p.Name == portName);

    /// <summary>Whether any container listens on <paramref name="port"/>.</summary>
    public bool ListensOn(int port) => Pod.Containers.SelectMany(c => c.Ports ?? []).Any(p => p.ContainerPort == port);

    /// <summary>"Kind/name", for messages.</summary>
    public string Id => $"{Kind}/{Name}";
}
