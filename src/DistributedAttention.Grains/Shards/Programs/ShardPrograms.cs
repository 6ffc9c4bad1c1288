using DistributedAttention.Abstractions;
using DistributedAttention.Grains.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace DistributedAttention.Grains.Shards.Programs;

/// <summary>The program of a job's work on a device.</summary>
internal static class ShardPrograms
{
    public static IShardProgram For(JobWork work, string device, ModelCache models) => work switch
    {
        ModelWork model => new ModelShardProgram(models.Acquire(model.Model, device, model.Weights), torch.device(device)),
        AttentionWork attention => new AttentionShardProgram(attention.Spec, torch.device(device)),
        PretrainedWork pretrained => new PretrainedShardProgram(models.Acquire(pretrained.Model, device), torch.device(device)),
        _ => throw new ArgumentException($"unknown kind of work: {work?.GetType().Name ?? "none"}."),
    };
}
