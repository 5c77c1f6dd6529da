using System.Buffers;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Server.Streams;

/// <summary>An audio, video or data message as the publisher sent it, kept for RTMP viewers. Immutable.</summary>
public sealed class RelayMessage(RtmpMessageType type, uint timestamp, byte[] payload)
{
    private Chunked? _chunked;

    public RtmpMessageType Type { get; } = type;

    public uint Timestamp { get; } = timestamp;

    public byte[] Payload { get; } = payload;

    /// <summary>An AVC/HEVC keyframe that is not a sequence header (FLV VideoTagHeader, legacy or enhanced).</summary>
    public bool IsVideoKeyframe => Type == RtmpMessageType.Video && Payload.Length >= 2
        && ((Payload[0] & 0x80) != 0
            ? ((Payload[0] >> 4) & 0x07) == 1 && (Payload[0] & 0x0F) is 1 or 3
            : (Payload[0] >> 4) == 1 && Payload[1] == 1);

    /// <summary>A video or audio sequence header (avcC / hvcC / av1C / AudioSpecificConfig).</summary>
    public bool IsSequenceHeader => Payload.Length >= 2 && Type switch
    {
        // Legacy CodecID 7 (AVC) or 12 (the common non-Adobe HEVC); Enhanced RTMP PacketType 0 (SequenceStart).
        RtmpMessageType.Video => (Payload[0] & 0x80) != 0 ? (Payload[0] & 0x0F) == 0 : Payload[1] == 0 && (Payload[0] & 0x0F) is 7 or 12,
        RtmpMessageType.Audio => (Payload[0] >> 4) == 10 && Payload[1] == 0,
        _ => false,
    };

    /// <summary>
    /// The message as RTMP chunks (a type-0 header, then type-3 continuations): with no header
    /// compression these bytes are the same for every viewer using this chunk size and message
    /// stream, so they are made once, by the first viewer to ask, and sent to all. Thread-safe;
    /// a viewer with other parameters gets bytes of its own.
    /// </summary>
    public ReadOnlyMemory<byte> AsChunks(int chunkSize, int chunkStreamId, uint streamId)
    {
        Chunked? cached = Volatile.Read(ref _chunked);
        if (cached is not null && cached.ChunkSize == chunkSize && cached.ChunkStreamId == chunkStreamId && cached.StreamId == streamId)
        {
            return cached.Bytes;
        }

        var buffer = new ArrayBufferWriter<byte>(ChunkWriter.ChunkedLength(chunkSize, chunkStreamId, Timestamp, Payload.Length) + ChunkWriter.MaxChunkHeaderSize);
        new ChunkWriter { ChunkSize = chunkSize }.Write(buffer, chunkStreamId, Type, streamId, Timestamp, Payload);
        if (cached is null)
        {
            Volatile.Write(ref _chunked, new Chunked(chunkSize, chunkStreamId, streamId, buffer.WrittenMemory));
        }

        return buffer.WrittenMemory;
    }

    private sealed record Chunked(int ChunkSize, int ChunkStreamId, uint StreamId, ReadOnlyMemory<byte> Bytes);
}
