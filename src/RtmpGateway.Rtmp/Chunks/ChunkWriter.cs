using System.Buffers;
using System.Buffers.Binary;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Chunks;

/// <summary>
/// Splits messages into chunks (RTMP 1.0 §5.3). Each message starts with a type-0 header on its
/// chunk stream and continues in type-3 chunks; an extended timestamp is repeated on every
/// continuation chunk, as §5.3.1.3 and FFmpeg's reader expect.
/// </summary>
public sealed class ChunkWriter
{
    private int _chunkSize = ChunkReader.DefaultChunkSize;

    /// <summary>Our outbound chunk size; change it only right after sending Set Chunk Size.</summary>
    public int ChunkSize
    {
        get => _chunkSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _chunkSize = value;
        }
    }

    /// <summary>Writes one message as chunks.</summary>
    public void Write(IBufferWriter<byte> output, int chunkStreamId, RtmpMessageType type, uint streamId, uint timestamp, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkStreamId, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkStreamId, 65599);
        if (payload.Length > 0xFFFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "an RTMP message is at most 16 MiB - 1");
        }

        bool extended = timestamp >= 0xFFFFFF;
        int offset = 0;
        bool firstChunk = true;
        do
        {
            int size = Math.Min(_chunkSize, payload.Length - offset);
            Span<byte> span = output.GetSpan(3 + 11 + 4 + size);
            int n = WriteBasicHeader(span, firstChunk ? 0 : 3, chunkStreamId);
            if (firstChunk)
            {
                WriteUInt24(span[n..], extended ? 0xFFFFFF : timestamp);
                WriteUInt24(span[(n + 3)..], (uint)payload.Length);
                span[n + 6] = (byte)type;
                BinaryPrimitives.WriteUInt32LittleEndian(span[(n + 7)..], streamId);
                n += 11;
            }

            if (extended)
            {
                BinaryPrimitives.WriteUInt32BigEndian(span[n..], timestamp);
                n += 4;
            }

            payload.Slice(offset, size).CopyTo(span[n..]);
            output.Advance(n + size);
            offset += size;
            firstChunk = false;
        }
        while (offset < payload.Length);
    }

    /// <summary>The most a chunk adds to its payload: a 3-byte basic header, an 11-byte message header, an extended timestamp.</summary>
    public const int MaxChunkHeaderSize = 3 + 11 + 4;

    /// <summary>How many bytes <see cref="Write"/> produces for one message.</summary>
    public static int ChunkedLength(int chunkSize, int chunkStreamId, uint timestamp, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        int basicHeader = chunkStreamId < 64 ? 1 : chunkStreamId < 64 + 256 ? 2 : 3;
        int extended = timestamp >= 0xFFFFFF ? 4 : 0;
        int chunks = payloadLength == 0 ? 1 : (int)(((long)payloadLength + chunkSize - 1) / chunkSize);
        return payloadLength + 11 + (chunks * (basicHeader + extended));
    }

    private static int WriteBasicHeader(Span<byte> span, int fmt, int csid)
    {
        if (csid < 64)
        {
            span[0] = (byte)((fmt << 6) | csid);
            return 1;
        }

        if (csid < 64 + 256)
        {
            span[0] = (byte)(fmt << 6);
            span[1] = (byte)(csid - 64);
            return 2;
        }

        span[0] = (byte)((fmt << 6) | 1);
        span[1] = (byte)((csid - 64) & 0xFF);
        span[2] = (byte)((csid - 64) >> 8);
        return 3;
    }

    private static void WriteUInt24(Span<byte> span, uint value)
    {
        span[0] = (byte)(value >> 16);
        span[1] = (byte)(value >> 8);
        span[2] = (byte)value;
    }
}
