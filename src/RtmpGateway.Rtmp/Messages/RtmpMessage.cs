namespace RtmpGateway.Rtmp.Messages;

/// <summary>
/// One reassembled RTMP message. <see cref="Payload"/> belongs to the chunk reader and is valid only
/// until its next read: copy what you keep.
/// </summary>
public readonly record struct RtmpMessage(
    int ChunkStreamId,
    RtmpMessageType Type,
    uint StreamId,
    uint Timestamp,
    ReadOnlyMemory<byte> Payload);
