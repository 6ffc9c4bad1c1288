namespace DistributedAttention.Deploy.Tests.Kubernetes;

/// <summary>The overlays run the images the build tags (deploy/images.env), and nothing else.</summary>
public sealed class ImageTests
{
    [Theory]
    [InlineData("cpu", "cpu")]
    [InlineData("gpu", "cuda")]
    public void Overlays_run_the_built_images(string overlay, string siloBuild)
    {
        var images = ImageNames.Load();
        var m = Rendered.Overlay(overlay);
        Assert.Equal(siloBuild == "cuda" ? images.Cuda : images.Cpu, m.Workload(Deployment.Silo).Container("silo").Image);
        // The API needs no GPU: the CPU image in both overlays.
        Assert.Equal(images.Cpu, m.Workload(Deployment.Api).Container("api").Image);
        Assert.Equal(images.Dashboard, m.Workload(Deployment.Dashboard).Container("dashboard").Image);
        Assert.Equal(Deployment.RedisImage, m.Workload(Deployment.Redis).Container("redis").Image);

        var known = new HashSet<string>(images.Values.Values) { Deployment.RedisImage };
        foreach (var w in m.Workloads)
        {
            foreach (var c in w.AllContainers)
                Assert.True(known.Contains(c.Image), $"{overlay}: {w.Id}/{c.Name} runs {c.Image}, which deploy/images.env does not name (a placeholder left over?).");
        }
    }

    [Fact]
    public void The_images_file_names_the_three_builds()
    {
        var images = ImageNames.Load();
        string[] builds = [images.Cpu, images.Cuda, images.Dashboard];
        Assert.Equal(3, builds.Distinct().Count());
        Assert.All(builds, b => Assert.Matches("^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9_][A-Za-z0-9_.-]*$", b));
    }
}
