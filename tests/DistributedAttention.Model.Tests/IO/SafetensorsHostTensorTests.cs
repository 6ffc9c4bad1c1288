using DistributedAttention.Contracts;
using DistributedAttention.Core.IO;
using DistributedAttention.Formats;
using static TorchSharp.torch;

namespace DistributedAttention.Model.Tests.IO;

/// <summary>
/// The tensor-free side of safetensors (<see cref="SafetensorsFile"/>, <see cref="SafetensorsHostTensors"/>)
/// agrees with the tensor side byte for byte: a file of plain arrays equals the file
/// <see cref="Safetensors.Save"/> writes of the same tensors, and each reads the other's.
/// </summary>
public sealed class SafetensorsHostTensorTests
{
    [Fact]
    public void Host_tensors_written_without_torch_equal_the_tensor_writer_byte_for_byte_and_read_back()
    {
        using var dir = new TempDir();
        using var o = Tensors.Randn(3, 1, 2, 9, 4);
        using var lse = Tensors.Randn(4, 1, 2, 9);
        var metadata = new Dictionary<string, string> { ["format"] = "test/1" };
        var byTorch = dir.File("torch.safetensors");
        Safetensors.Save(byTorch, new Dictionary<string, Tensor> { ["o"] = o, ["lse"] = lse }, metadata);

        var hostO = new HostTensor(o.shape, o.data<float>().ToArray());
        var hostLse = new HostTensor(lse.shape, lse.data<float>().ToArray());
        var byHost = dir.File("host.safetensors");
        using (var writer = new SafetensorsStreamWriter(byHost, [SafetensorsDeclaration.Float32("lse", hostLse.Shape), SafetensorsDeclaration.Float32("o", hostO.Shape)], metadata))
        {
            writer.Write("lse", hostLse);
            writer.Write("o", hostO);
            writer.Complete();
        }
        Assert.Equal(File.ReadAllBytes(byTorch), File.ReadAllBytes(byHost));

        using var file = SafetensorsFile.Open(byTorch);
        var read = file.ReadFloat32("o");
        Assert.Equal(hostO.Shape, read.Shape);
        Assert.Equal(hostO.Data, read.Data);
        Assert.Equal("test/1", file.Metadata["format"]);
    }

    [Fact]
    public void A_tensor_that_is_not_f32_is_refused_by_name_and_dtype()
    {
        using var dir = new TempDir();
        using var ids = arange(6, dtype: ScalarType.Int32);
        var path = dir.File("ids.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["ids"] = ids });
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(ElementType.Int32, file.GetInfo("ids").DType);
        var error = Assert.Throws<InvalidDataException>(() => file.ReadFloat32("ids"));
        Assert.Contains("tensor 'ids' is I32, not F32", error.Message, StringComparison.Ordinal);
    }
}
