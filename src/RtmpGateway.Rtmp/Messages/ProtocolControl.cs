using System.Buffers.Binary;

namespace RtmpGateway.Rtmp.Messages;

/// <summary>User Control Message event types (RTMP 1.0 §7.1.7).</summary>
public enum UserControlEventType : ushort
{
    StreamBegin = 0,
    StreamEof = 1,
    StreamDry = 2,
    SetBufferLength = 3,
    StreamIsRecorded = 4,
    PingRequest = 6,
    PingResponse = 7,
}

/// <summary>Set Peer Bandwidth limit types (§5.4.5).</summary>
public enum PeerBandwidthLimitType : byte
{
    Hard = 0,
    Soft = 1,
    Dynamic = 2,
}

/// <summary>A parsed User Control Message: event type and its first 4-byte field (stream id or timestamp).</summary>
public readonly record struct UserControlEvent(UserControlEventType Type, uint Value, uint Extra);

/// <summary>
/// Protocol control messages (§5.4) and User Control Messages (§6.2, §7.1.7): parse and build.
/// They travel on chunk stream 2, message stream 0.
/// </summary>
public static class ProtocolControl
{
    /// <summary>"Protocol control messages [...] MUST have message stream ID 0 [...] and be sent in chunk stream ID 2" (§5.4).</summary>
    public const int ChunkStreamId = 2;

    /// <summary>Reads the 4-byte big-endian field of Set Chunk Size, Abort, Acknowledgement and Window Acknowledgement Size.</summary>
    public static uint ReadUInt32(ReadOnlySpan<byte> payload, RtmpMessageType type)
    {
        if (payload.Length < 4)
        {
            throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, $"{type} message of {payload.Length} bytes, expected 4");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(payload);
    }

    /// <summary>§5.4.1: "The first bit of this field MUST be zero"; the value is read as 31 bits by the caller's check.</summary>
    public static byte[] SetChunkSize(int size) => UInt32Payload((uint)size);

    public static byte[] Acknowledgement(uint sequenceNumber) => UInt32Payload(sequenceNumber);

    public static byte[] WindowAcknowledgementSize(uint size) => UInt32Payload(size);

    public static byte[] SetPeerBandwidth(uint size, PeerBandwidthLimitType limit)
    {
        byte[] b = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(b, size);
        b[4] = (byte)limit;
        return b;
    }

    /// <summary>A user control event with one 4-byte field (Stream Begin/EOF/Dry/IsRecorded, Ping Request/Response).</summary>
    public static byte[] UserControl(UserControlEventType type, uint value)
    {
        byte[] b = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)type);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(2), value);
        return b;
    }

    /// <summary>Parses a User Control Message: event type (2 bytes) then event data.</summary>
    public static UserControlEvent ReadUserControl(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 6)
        {
            throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, $"User Control message of {payload.Length} bytes, expected at least 6");
        }

        var type = (UserControlEventType)BinaryPrimitives.ReadUInt16BigEndian(payload);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(payload[2..]);
        uint extra = 0;
        if (type == UserControlEventType.SetBufferLength)
        {
            // Set Buffer Length: stream id (4) then buffer length in milliseconds (4).
            if (payload.Length < 10)
            {
                throw new RtmpProtocolException(RtmpErrorReason.MessageLengthMismatch, "Set Buffer Length event shorter than 10 bytes");
            }

            extra = BinaryPrimitives.ReadUInt32BigEndian(payload[6..]);
        }

        return new UserControlEvent(type, value, extra);
    }

    private static byte[] UInt32Payload(uint value)
    {
        byte[] b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return b;
    }
}
