using System.Buffers;
using System.Globalization;
using RtmpGateway.Hub;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Server.Rtmp;

/// <summary>The viewer side: a hub reader that relays the stream's ingest tracks to this connection.</summary>
internal sealed partial class RtmpConnection
{
    /// <summary>Chunk streams for relayed media, as FMS and nginx-rtmp use them.</summary>
    private static int MediaChunkStream(RtmpMessageType type) => type switch
    {
        RtmpMessageType.Audio => 4,
        RtmpMessageType.Video => 6,
        _ => CommandWriter.StreamChunkStreamId,
    };

    /// <summary>
    /// Relays one message, chunked once for every viewer with the same chunk size and message stream
    /// (<see cref="Chunked"/>), in one non-blocking send; a viewer whose socket backlog is past
    /// Rtmp:MaxViewerBacklogBytes is dropped.
    /// </summary>
    private void Relay(ReadOnlyMemory<byte> chunks, int payloadLength)
    {
        long backlog = Interlocked.Read(ref _queuedBytes);
        if (backlog + payloadLength > _options.MaxViewerBacklogBytes)
        {
            if (Interlocked.Exchange(ref _droppedAsSlow, 1) == 0)
            {
                RtmpLog.ViewerTooSlow(_logger, Id, _playing?.Key ?? "?", backlog, _options.MaxViewerBacklogBytes);
                Close(string.Create(CultureInfo.InvariantCulture, $"viewer too slow: backlog {backlog} bytes"));
            }

            return;
        }

        SendShared(chunks);
    }

    private static ReadOnlyMemory<byte> Chunk(int chunkSize, int chunkStreamId, uint streamId, RtmpMessageType type, uint timestamp, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(ChunkWriter.ChunkedLength(chunkSize, chunkStreamId, timestamp, payload.Length) + ChunkWriter.MaxChunkHeaderSize);
        new ChunkWriter { ChunkSize = chunkSize }.Write(buffer, chunkStreamId, type, streamId, timestamp, payload);
        return buffer.WrittenMemory;
    }

    /// <summary>
    /// A hub frame as RTMP chunks (a type-0 header, then type-3 continuations): with no header
    /// compression these bytes are the same for every viewer using this chunk size and message
    /// stream, so the first viewer makes them and the frame keeps them for the others.
    /// </summary>
    private sealed record Chunked(int ChunkSize, uint StreamId, ReadOnlyMemory<byte> Bytes);

    /// <summary>
    /// An RTMP viewer as a hub reader. It runs inline on the producer's thread while nothing is
    /// queued: each call is one non-blocking send, and what the socket does not take waits in the
    /// connection's own backlog (RtmpConnection.Sending.cs), the measure of a slow viewer. A join's
    /// replay (sequence headers, metadata, the latest GOP) is queued under the stream's lock and sent
    /// after it, on the joining connection's own thread.
    /// </summary>
    private sealed class Viewer(RtmpConnection connection) : HubReader("rtmp", new HubReaderLimits
    {
        // The replay of a GOP of up to Rtmp:MaxGopCacheBytes, and then some.
        MaxQueuedFrames = 16_384,
        MaxQueuedBytes = connection._options.MaxGopCacheBytes + connection._options.MaxViewerBacklogBytes,
    })
    {
        private uint _lastTimestamp;
        private int _ended;

        protected override bool RunsInline => true;

        public override bool Reads(HubTrack track) => track.IsIngest;

        protected override void OnTrack(HubTrack track)
        {
            if (!track.FlvSequenceHeader.IsEmpty)
            {
                RtmpMessageType type = track.Rendition == HubTrack.Source ? RtmpMessageType.Video : RtmpMessageType.Audio;
                Send(type, _lastTimestamp, track.FlvSequenceHeader);
            }
        }

        protected override void OnMetadata(HubMetadata metadata) => Send(RtmpMessageType.DataAmf0, _lastTimestamp, metadata.Amf0Body);

        protected override void OnFrame(HubFrame frame)
        {
            if (frame.FlvTag.IsEmpty)
            {
                // Only RTMP ingest carries FLV tag bodies today; other ingests' frames need muxing first.
                return;
            }

            RtmpMessageType type = frame.IsVideo ? RtmpMessageType.Video : RtmpMessageType.Audio;
            uint timestamp = unchecked((uint)(frame.Unit.Dts * 1000 / frame.Unit.Config.Timescale));
            _lastTimestamp = timestamp;
            int chunkSize = connection._session.OutChunkSize;
            uint streamId = connection._session.PlayStreamId;
            Chunked chunked = frame.GetOrAddOutput(
                f => new Chunked(chunkSize, streamId, Chunk(chunkSize, MediaChunkStream(type), streamId, type, timestamp, f.FlvTag.Span)),
                c => c.ChunkSize == chunkSize && c.StreamId == streamId);
            connection.Relay(chunked.Bytes, frame.FlvTag.Length);
        }

        protected override void OnPublishEnded(int publish, HubEndReason reason) => End();

        protected override void OnEnded() => End();

        private void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                connection.OnPublisherEnded();
                Close();
            }
        }

        private void Send(RtmpMessageType type, uint timestamp, ReadOnlyMemory<byte> payload)
            => connection.Relay(Chunk(connection._session.OutChunkSize, MediaChunkStream(type), connection._session.PlayStreamId, type, timestamp, payload.Span), payload.Length);
    }
}
