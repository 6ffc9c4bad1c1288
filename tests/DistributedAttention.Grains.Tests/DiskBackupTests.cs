using DistributedAttention.Abstractions;
using DistributedAttention.Client;
using DistributedAttention.Contracts;
using DistributedAttention.Core.Runtime;
using DistributedAttention.Grains.Shards.Backups;
using DistributedAttention.Hosting.Local;
using DistributedAttention.Silo;
using DistributedAttention.Testing;

namespace DistributedAttention.Grains.Tests;

/// <summary>Neighbours' copies spilled to local disk: same recovery, little memory, and the files go away with the job.</summary>
public sealed class DiskBackupTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "distattn-disk-backups-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void The_store_keeps_the_newest_copy_of_each_block_and_the_newest_two_layers()
    {
        using var store = new DiskBackupStore(folder);
        TensorChunk Block(long row, byte value) => new("0", 1, row, [1, 2, 3], ElementType.Float32, Enumerable.Repeat(value, 24).ToArray());
        store.Store(owner: 4, layer: 0, Block(100, 1));
        store.Store(4, 0, Block(102, 2));
        store.Store(4, 0, Block(100, 3));
        Assert.Equal([(100L, (byte)3), (102L, (byte)2)], store.Read(4, 0).Select(c => (c.RowStart, c.Data[0])));
        Assert.Equal(48, store.Bytes);

        store.Store(4, 1, Block(100, 4));
        store.Store(4, 2, Block(100, 5));
        Assert.Throws<InvalidOperationException>(() => store.Read(4, 0).ToList());
        Assert.Equal([(byte)5], store.Read(4, 2).Select(c => c.Data[0]));
        Assert.Equal(2, Directory.GetFiles(folder).Length);

        store.Dispose();
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task A_silo_lost_mid_job_is_recovered_from_copies_on_disk_and_the_files_go_with_the_job()
    {
        TorchRuntime.EnsureLoaded();
        await using var cluster = new LocalCluster(new LocalClusterOptions { Backups = BackupStorage.Disk, BackupDirectory = folder });
        await cluster.StartAsync(3, ["cpu"]);
        var job = new LossJob(tokens: 24_000, layers: 6);
        using var expected = job.SingleDevice();
        var addresses = cluster.SiloAddresses.Select(a => a.ToString()).ToList();
        Task? kill = null;
        var filesDuringJob = 0;
        var progress = new SynchronousProgress<JobStatus>(status =>
        {
            if (kill is not null || status.State != JobState.Running || status.Shards.Any(s => s.LayersDone < 2)) return;
            filesDuringJob = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length;
            // Not silo 0 (it holds the localhost membership table) and not the coordinator's.
            kill = cluster.KillSiloAsync(Enumerable.Range(1, 2).First(i => addresses[i] != status.CoordinatorSilo));
        });
        var sink = new InMemoryHiddenStates();
        var jobs = new JobClient(cluster.Client, new JobClientOptions { PollInterval = TimeSpan.FromMilliseconds(20) });

        var result = await jobs.RunModelAsync(job.Options, job.Tokens, new JobOptions(3), sink, progress, default).WaitAsync(TimeSpan.FromMinutes(5));

        await kill!;
        using var actual = job.AsTensor(sink.Data);
        DistributedJobTests.AssertClose(expected, actual, "hidden states recovered from copies on disk");
        Assert.NotEmpty(result.Status.Recoveries);
        // Each of 3 shards kept its predecessor's last two layer inputs as files.
        Assert.InRange(filesDuringJob, 3, 6);
        // Released with the job (the killed silo's shard left its files behind, as a crashed process would).
        Assert.True(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length <= 2, "the surviving shards kept their copies after the job was released.");
    }
}
