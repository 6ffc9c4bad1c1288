using System.Text;

namespace DistributedAttention.Text;

/// <summary>
/// Decodes a byte that the code page leaves undefined as the char of the same value, as
/// Latin-1 does. Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; with this
/// fallback they become U+0081 and so on, so decoding never fails and no byte is lost.
/// </summary>
internal sealed class ByteValueDecoderFallback : DecoderFallback
{
    public static ByteValueDecoderFallback Instance { get; } = new();

    public override int MaxCharCount => 1;

    public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer();

    private sealed class Buffer : DecoderFallbackBuffer
    {
        private readonly Queue<char> _pending = new();

        public override int Remaining => _pending.Count;

        public override bool Fallback(byte[] bytesUnknown, int index)
        {
            foreach (var b in bytesUnknown)
            {
                _pending.Enqueue((char)b);
            }

            return _pending.Count > 0;
        }

        public override char GetNextChar() => _pending.Count > 0 ? _pending.Dequeue() : '\0';

        public override bool MovePrevious() => false;

        public override void Reset() => _pending.Clear();
    }
}
