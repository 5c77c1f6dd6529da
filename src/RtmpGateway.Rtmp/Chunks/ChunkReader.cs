using System.Buffers;
using System.Buffers.Binary;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Chunks;

/// <summary>Limits the chunk reader enforces on what a peer may make it hold.</summary>
public sealed class ChunkReaderLimits
{
    /// <summary>The largest message accepted (the wire allows 16 MiB - 1).</summary>
    public int MaxMessageSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How many chunk streams one connection may open (each holds a partial message).</summary>
    public int MaxChunkStreams { get; init; } = 64;

    /// <summary>
    /// The most bytes of message buffers one connection may hold across its chunk streams, so that
    /// many interleaved half-sent messages cannot add up past one large message's worth.
    /// </summary>
    public int MaxBufferedBytes { get; init; } = 16 * 1024 * 1024;
}

/// <summary>
/// Reads the chunk stream (RTMP 1.0 §5.3) and reassembles messages. Interleaved chunk streams,
/// basic headers of 1, 2 and 3 bytes, message headers of type 0..3 and extended timestamps are all
/// handled. A chunk is consumed only when all of it is present; nothing is allocated from a length
/// the peer declared: a message buffer grows only as its bytes arrive.
/// </summary>
public sealed class ChunkReader : IDisposable
{
    /// <summary>"The maximum chunk size defaults to 128 bytes" (§5.4.1).</summary>
    public const int DefaultChunkSize = 128;

    /// <summary>Smallest chunk size we accept from a peer: below the default no real client goes.</summary>
    public const int MinChunkSize = 128;

    private const uint ExtendedTimestampMarker = 0xFFFFFF;

    private readonly Dictionary<int, ChunkStreamState> _streams = [];
    private readonly ChunkReaderLimits _limits;
    private int _chunkSize = DefaultChunkSize;
    private long _bufferedBytes;

    public ChunkReader(ChunkReaderLimits? limits = null)
    {
        _limits = limits ?? new ChunkReaderLimits();
    }

    /// <summary>The peer's chunk size, changed by its Set Chunk Size message.</summary>
    public int ChunkSize => _chunkSize;

    /// <summary>Total bytes consumed so far (for acknowledgements).</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Applies a Set Chunk Size from the peer. §5.4.1: "The maximum chunk size can be 65536 bytes
    /// [...] The first bit of this field MUST be zero". Sizes below 128 or with the top bit set are
    /// refused; sizes above the largest message are accepted (a chunk never exceeds its message).
    /// </summary>
    public void SetChunkSize(uint size)
    {
        if ((size & 0x8000_0000) != 0 || size < MinChunkSize)
        {
            throw new RtmpProtocolException(RtmpErrorReason.ChunkSizeInvalid, $"Set Chunk Size {size} is outside {MinChunkSize}..2^31-1");
        }

        _chunkSize = (int)Math.Min(size, (uint)_limits.MaxMessageSize);
    }

    /// <summary>
    /// Hands the payload buffer of <paramref name="message"/>, the message just read, to the caller,
    /// who owns it from then on: its first <c>Payload.Length</c> bytes are the payload (an audio or
    /// video message that every output shares without another copy). The chunk stream's later
    /// messages get buffers of their own from the garbage collector, each first sized from the
    /// lengths this chunk stream's messages really had (capped at the new message's declared length,
    /// never taken from it alone), so a steady stream reassembles every message in one exact buffer.
    /// </summary>
    public byte[] DetachPayload(in RtmpMessage message)
    {
        if (!_streams.TryGetValue(message.ChunkStreamId, out ChunkStreamState? state) || state.Received != 0
            || !System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Payload, out ArraySegment<byte> segment)
            || !ReferenceEquals(segment.Array, state.Buffer))
        {
            throw new InvalidOperationException("only the message just read can be detached, once");
        }

        byte[] buffer = state.Buffer;
        _bufferedBytes -= buffer.Length;
        state.Buffer = [];
        state.Pooled = false;
        return buffer;
    }

    /// <summary>Abort Message (§5.4.2): discard the partly received message on a chunk stream.</summary>
    public void Abort(int chunkStreamId)
    {
        if (_streams.TryGetValue(chunkStreamId, out ChunkStreamState? state))
        {
            state.Received = 0;
        }
    }

    /// <summary>
    /// Reads chunks until one message is complete. Returns false when the input ends before that;
    /// the chunks that were complete are consumed and their bytes kept.
    /// </summary>
    public bool TryReadMessage(ref SequenceReader<byte> reader, out RtmpMessage message)
    {
        while (true)
        {
            long start = reader.Consumed;
            ChunkReadResult result = TryReadChunk(ref reader, out message);
            BytesRead += reader.Consumed - start;
            if (result == ChunkReadResult.NeedMoreData)
            {
                return false;
            }

            if (result == ChunkReadResult.Message)
            {
                return true;
            }
        }
    }

    private enum ChunkReadResult
    {
        NeedMoreData,
        Partial,
        Message,
    }

    private ChunkReadResult TryReadChunk(ref SequenceReader<byte> reader, out RtmpMessage message)
    {
        message = default;
        SequenceReader<byte> r = reader;

        // §5.3.1.1 Chunk Basic Header: fmt (2 bits) + cs id (6 bits); cs id 0 means a 2-byte form
        // (id - 64 in the second byte), 1 a 3-byte form ((third byte)*256 + second byte + 64).
        if (!r.TryRead(out byte first))
        {
            return ChunkReadResult.NeedMoreData;
        }

        int fmt = first >> 6;
        int csid = first & 0x3F;
        if (csid == 0)
        {
            if (!r.TryRead(out byte b1))
            {
                return ChunkReadResult.NeedMoreData;
            }

            csid = b1 + 64;
        }
        else if (csid == 1)
        {
            if (!r.TryRead(out byte b1) || !r.TryRead(out byte b2))
            {
                return ChunkReadResult.NeedMoreData;
            }

            csid = (b2 * 256) + b1 + 64;
        }

        _streams.TryGetValue(csid, out ChunkStreamState? state);
        if (fmt != 0 && state is null)
        {
            throw new RtmpProtocolException(RtmpErrorReason.ChunkStreamNotOpened, $"type-{fmt} chunk on chunk stream {csid}, which no type-0 chunk opened");
        }

        // §5.3.1.2 Chunk Message Header.
        uint timestampField;
        int length;
        RtmpMessageType type;
        uint streamId;
        bool continuation = fmt == 3 && state!.Received > 0;
        switch (fmt)
        {
            case 0:
                // timestamp (3) | message length (3) | type id (1) | stream id (4, little-endian)
                if (r.Remaining < 11)
                {
                    return ChunkReadResult.NeedMoreData;
                }

                timestampField = ReadUInt24(ref r);
                length = (int)ReadUInt24(ref r);
                r.TryRead(out byte t0);
                type = (RtmpMessageType)t0;
                r.TryReadLittleEndian(out int sid);
                streamId = (uint)sid;
                break;
            case 1:
                // timestamp delta (3) | message length (3) | type id (1)
                if (r.Remaining < 7)
                {
                    return ChunkReadResult.NeedMoreData;
                }

                timestampField = ReadUInt24(ref r);
                length = (int)ReadUInt24(ref r);
                r.TryRead(out byte t1);
                type = (RtmpMessageType)t1;
                streamId = state!.StreamId;
                break;
            case 2:
                // timestamp delta (3)
                if (r.Remaining < 3)
                {
                    return ChunkReadResult.NeedMoreData;
                }

                timestampField = ReadUInt24(ref r);
                length = state!.Length;
                type = state.Type;
                streamId = state.StreamId;
                break;
            default:
                timestampField = state!.TimestampField;
                length = state.Length;
                type = state.Type;
                streamId = state.StreamId;
                break;
        }

        if (fmt != 3 && state is not null && state.Received > 0)
        {
            // A new header arrived while a message was half read on this chunk stream: the peer
            // abandoned it without an Abort. Drop the partial message, as the spec's Abort would.
            state.Received = 0;
            continuation = false;
        }

        // §5.3.1.3 Extended Timestamp: present when the 24-bit field is 0xFFFFFF. On a type-3 chunk
        // it repeats the value of the preceding header of the chunk stream. Some encoders omit the
        // repetition on continuation chunks: accept it only where the 4 bytes match.
        bool extended;
        uint timestampValue = timestampField;
        if (fmt != 3)
        {
            extended = timestampField == ExtendedTimestampMarker;
            if (extended)
            {
                if (!r.TryReadBigEndian(out int ext))
                {
                    return ChunkReadResult.NeedMoreData;
                }

                timestampValue = (uint)ext;
            }
        }
        else
        {
            extended = state!.Extended;
            if (extended)
            {
                if (!r.TryReadBigEndian(out int ext))
                {
                    return ChunkReadResult.NeedMoreData;
                }

                if ((uint)ext == state.ExtendedValue || !continuation)
                {
                    timestampValue = (uint)ext;
                }
                else
                {
                    // Not a repetition: those 4 bytes are payload.
                    r.Rewind(4);
                    timestampValue = state.ExtendedValue;
                }
            }
            else
            {
                timestampValue = state.TimestampField;
            }
        }

        if (length > _limits.MaxMessageSize)
        {
            throw new RtmpProtocolException(RtmpErrorReason.MessageTooLarge, $"message of {length} bytes on chunk stream {csid} exceeds the limit of {_limits.MaxMessageSize}");
        }

        int alreadyReceived = continuation ? state!.Received : 0;
        int chunkPayload = Math.Min(_chunkSize, length - alreadyReceived);
        if (r.Remaining < chunkPayload)
        {
            return ChunkReadResult.NeedMoreData;
        }

        // The whole chunk is present: commit the header state.
        if (state is null)
        {
            if (_streams.Count >= _limits.MaxChunkStreams)
            {
                throw new RtmpProtocolException(RtmpErrorReason.TooManyChunkStreams, $"more than {_limits.MaxChunkStreams} chunk streams opened");
            }

            state = new ChunkStreamState();
            _streams.Add(csid, state);
        }

        if (!continuation)
        {
            // Absolute time for type 0; a delta on the previous message's time otherwise. A type-3
            // chunk starting a new message reuses the last header's field as its delta.
            state.Timestamp = fmt == 0 ? timestampValue : unchecked(state.Timestamp + timestampValue);
            state.TimestampField = timestampField;
            state.Extended = extended;
            state.ExtendedValue = timestampValue;
            state.Length = length;
            state.Type = type;
            state.StreamId = streamId;
        }

        if (state.Received + chunkPayload > state.Buffer.Length)
        {
            int grown = state.GrowTarget(state.Received + chunkPayload);
            if (_bufferedBytes - state.Buffer.Length + grown > _limits.MaxBufferedBytes)
            {
                throw new RtmpProtocolException(RtmpErrorReason.MessageTooLarge, $"partial messages across chunk streams exceed {_limits.MaxBufferedBytes} bytes");
            }

            _bufferedBytes -= state.Buffer.Length;
            state.Grow(grown);
            _bufferedBytes += state.Buffer.Length;
        }

        r.UnreadSequence.Slice(0, chunkPayload).CopyTo(state.Buffer.AsSpan(state.Received));
        state.Received += chunkPayload;
        r.Advance(chunkPayload);
        reader = r;

        if (state.Received < length)
        {
            return ChunkReadResult.Partial;
        }

        message = new RtmpMessage(csid, state.Type, state.StreamId, state.Timestamp, state.Buffer.AsMemory(0, length));
        state.Received = 0;
        // Slow to forget: a keyframe a GOP later still finds room (and a smaller message takes only its own length).
        state.Recent = Math.Max(state.Recent - (state.Recent / 256), length);
        return ChunkReadResult.Message;
    }

    private static uint ReadUInt24(ref SequenceReader<byte> r)
    {
        r.TryRead(out byte a);
        r.TryRead(out byte b);
        r.TryRead(out byte c);
        return (uint)((a << 16) | (b << 8) | c);
    }

    public void Dispose()
    {
        foreach (ChunkStreamState state in _streams.Values)
        {
            state.Release();
        }

        _streams.Clear();
        _bufferedBytes = 0;
    }

    private sealed class ChunkStreamState
    {
        public uint Timestamp;
        public uint TimestampField;
        public bool Extended;
        public uint ExtendedValue;
        public int Length;
        public RtmpMessageType Type;
        public uint StreamId;
        public int Received;
        public byte[] Buffer = [];

        /// <summary>Whether <see cref="Buffer"/> comes from the pool (false once a payload was detached: each message then owns its buffer).</summary>
        public bool Pooled = true;

        /// <summary>A decaying maximum of the lengths this chunk stream's messages had: bytes that arrived, not declared.</summary>
        public int Recent;

        /// <summary>
        /// Grow by what has arrived (doubling) or to twice what recent messages really were, capped at
        /// the message: never to a declared length that no message on this chunk stream came near.
        /// </summary>
        public int GrowTarget(int needed) => Math.Max(needed, Math.Min(Math.Max(Buffer.Length, Recent) * 2, Length));

        public void Grow(int size)
        {
            byte[] bigger = Pooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
            Buffer.AsSpan(0, Received).CopyTo(bigger);
            Release();
            Buffer = bigger;
        }

        public void Release()
        {
            if (Buffer.Length > 0)
            {
                if (Pooled)
                {
                    ArrayPool<byte>.Shared.Return(Buffer);
                }

                Buffer = [];
            }
        }
    }
}
