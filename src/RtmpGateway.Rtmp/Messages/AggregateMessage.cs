using System.Buffers.Binary;

namespace RtmpGateway.Rtmp.Messages;

/// <summary>One sub-message of an Aggregate Message.</summary>
public readonly record struct AggregatePart(RtmpMessageType Type, uint Timestamp, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Aggregate Message (RTMP 1.0 §6.1.3 / §7.1.6): a body of FLV-style tags, each "header (11) +
/// payload + back pointer (4)". The sub-messages' timestamps are offsets from the first one, which
/// the aggregate's own timestamp replaces.
/// </summary>
public static class AggregateMessage
{
    public static List<AggregatePart> Split(ReadOnlyMemory<byte> body, uint aggregateTimestamp)
    {
        var parts = new List<AggregatePart>();
        ReadOnlySpan<byte> span = body.Span;
        int pos = 0;
        uint? firstTimestamp = null;
        while (pos < span.Length)
        {
            // type (1) | size (3) | timestamp (3) + timestamp extended (1) | stream id (3)
            if (span.Length - pos < 11)
            {
                throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, "aggregate sub-message header truncated");
            }

            var type = (RtmpMessageType)span[pos];
            int size = (span[pos + 1] << 16) | (span[pos + 2] << 8) | span[pos + 3];
            uint ts = (uint)((span[pos + 4] << 16) | (span[pos + 5] << 8) | span[pos + 6] | (span[pos + 7] << 24));
            pos += 11;
            if (span.Length - pos < size + 4)
            {
                throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, $"aggregate sub-message of {size} bytes exceeds the message");
            }

            uint back = BinaryPrimitives.ReadUInt32BigEndian(span[(pos + size)..]);
            if (back != size + 11)
            {
                throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, $"aggregate back pointer {back}, expected {size + 11}");
            }

            firstTimestamp ??= ts;
            parts.Add(new AggregatePart(type, unchecked(aggregateTimestamp + (ts - firstTimestamp.Value)), body.Slice(pos, size)));
            pos += size + 4;
        }

        return parts;
    }
}
