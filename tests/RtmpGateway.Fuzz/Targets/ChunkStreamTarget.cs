using System.Buffers;
using System.Globalization;
using System.Text;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Rtmp.Session;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// The chunk stream after the handshake, as one connection receives it: <see cref="ChunkReader"/>
/// with the server's limits, each message then handled as the server does (Set Chunk Size, Abort,
/// User Control, AMF0/AMF3 commands and data, aggregates). The bytes are read twice, whole and cut
/// into pieces by the control byte; both reads must give the same messages and end the same way.
/// <code>
/// input = control (1 byte: piece pattern, see Arrivals.Split) | chunk stream bytes
/// </code>
/// </summary>
internal sealed class ChunkStreamTarget : FuzzTarget
{
    public override string Name => "chunk";

    public override string Description =>
        "ChunkReader + message handling; byte 0 picks how the rest is split into arrivals";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        if (input.Length == 0)
        {
            return FuzzOutcome.Refuse("empty input");
        }

        ReadOnlyMemory<byte> stream = input.AsMemory(1);
        Trace whole = Read([stream]);
        Trace split = Read(Arrivals.Split(stream, input[0]));
        if (!whole.Equals(split))
        {
            throw new FuzzInvariantException($"read whole: {whole}; read in pieces: {split}");
        }

        return whole.Error is null
            ? FuzzOutcome.Accept($"{whole.Messages.Count} messages")
            : FuzzOutcome.Refuse($"{whole.Error} after {whole.Messages.Count} messages");
    }

    private static Trace Read(List<ReadOnlyMemory<byte>> pieces)
    {
        var trace = new Trace();
        var arrivals = new Arrivals();
        long consumed = 0;
        using var reader = new ChunkReader(new ChunkReaderLimits());
        var replies = new ArrayBufferWriter<byte>();
        var host = new AcceptingHost();
        var session = new RtmpServerSession(reader, replies, host, new RtmpServerSessionOptions());
        host.Session = session;
        try
        {
            foreach (ReadOnlyMemory<byte> piece in pieces)
            {
                arrivals.Append(piece);
                var sequenceReader = new SequenceReader<byte>(arrivals.Sequence());
                try
                {
                    while (reader.TryReadMessage(ref sequenceReader, out RtmpMessage message))
                    {
                        trace.Messages.Add(new MessageRecord(
                            message.ChunkStreamId, message.Type, message.StreamId, message.Timestamp, message.Payload.Length, MessageHandling.Hash(message.Payload.Span)));
                        // The server's own session: every command, protocol control and data message as it runs them.
                        session.Handle(message);
                        replies.ResetWrittenCount();
                    }
                }
                finally
                {
                    // As the server's read loop: AdvanceTo what the reader consumed, even when it threw.
                    arrivals.Consume(sequenceReader.Consumed);
                    consumed += sequenceReader.Consumed;
                }
            }
        }
        catch (RtmpProtocolException ex)
        {
            trace.Error = ex.Reason;
        }

        if (trace.Error is null && reader.BytesRead != consumed)
        {
            throw new FuzzInvariantException($"ChunkReader.BytesRead {reader.BytesRead}, but {consumed} bytes were consumed");
        }

        return trace;
    }

    /// <summary>A host that allows every publish and play at once, so a peer's bytes reach every state of the session.</summary>
    private sealed class AcceptingHost : IRtmpSessionHandler
    {
        public RtmpServerSession? Session { get; set; }

        public void OnConnected()
        {
        }

        public void OnPublishRequested(PublishRequest request) => Session!.AcceptPublish(request, "fuzz");

        public void OnPlayRequested(PlayRequest request) => Session!.AcceptPlay(request, "fuzz");

        public void OnMedia(in RtmpMessage message)
        {
            // Audio and video go to the FlvDemuxer, which the flv target covers.
        }

        public void OnMediaPart(in AggregatePart part)
        {
        }

        public void OnMetadata(AmfObject properties, uint timestamp) => MessageHandling.ReencodeMetadata(properties);

        public void OnUnpublish()
        {
        }

        public void OnCloseStream()
        {
        }
    }

    private readonly record struct MessageRecord(int ChunkStreamId, RtmpMessageType Type, uint StreamId, uint Timestamp, int Length, ulong Hash);

    private sealed class Trace : IEquatable<Trace>
    {
        public List<MessageRecord> Messages { get; } = [];

        public RtmpErrorReason? Error { get; set; }

        public bool Equals(Trace? other) =>
            other is not null && Error == other.Error && Messages.SequenceEqual(other.Messages);

        public override bool Equals(object? obj) => Equals(obj as Trace);

        public override int GetHashCode() => HashCode.Combine(Error, Messages.Count);

        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{Messages.Count} messages, error {Error?.ToString() ?? "none"}");
            foreach (MessageRecord m in Messages.Take(8))
            {
                text.Append(CultureInfo.InvariantCulture, $"; cs {m.ChunkStreamId} {m.Type} sid {m.StreamId} ts {m.Timestamp} len {m.Length}");
            }

            return text.ToString();
        }
    }
}
