using System.Buffers;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>Feeds bytes to a <see cref="ChunkReader"/> the way the connection's read loop does.</summary>
internal sealed class ChunkFeeder(ChunkReader reader)
{
    private byte[] _pending = [];

    public List<(RtmpMessage Message, byte[] Payload)> Feed(ReadOnlySpan<byte> data)
    {
        _pending = [.. _pending, .. data];
        var messages = new List<(RtmpMessage, byte[])>();
        var sequence = new ReadOnlySequence<byte>(_pending);
        var sr = new SequenceReader<byte>(sequence);
        while (reader.TryReadMessage(ref sr, out RtmpMessage m))
        {
            messages.Add((m, m.Payload.ToArray()));
            if (m.Type == RtmpMessageType.SetChunkSize)
            {
                reader.SetChunkSize(ProtocolControl.ReadUInt32(m.Payload.Span, m.Type));
            }
        }

        _pending = _pending[(int)sr.Consumed..];
        return messages;
    }

    public int Pending => _pending.Length;
}

internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));
}
