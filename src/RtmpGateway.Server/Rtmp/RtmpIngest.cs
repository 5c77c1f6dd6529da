using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Server.Rtmp;

/// <summary>
/// One RTMP publish into the hub: each audio or video message arrives in the buffer the chunk reader
/// reassembled it in (handed over, not copied), is demuxed (FLV tags, Enhanced RTMP; clock
/// unwrapped and repaired at this edge) and written to the stream. The access units are slices of
/// that buffer, and the tag body itself goes along for RTMP output; nothing is copied here.
/// Runs on the publisher's connection thread and never waits.
/// </summary>
internal sealed class RtmpIngest : IMediaSink
{
    private readonly FlvDemuxer _demuxer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly double _maxJumpSeconds;
    private HubTrack? _video;
    private HubTrack? _audio;
    private MediaBuffer? _current;
    private DateTimeOffset _receivedAt;

    public RtmpIngest(StreamPublisher publisher, TimeSpan maxTimestampJump, TimeProvider time, ILogger logger)
    {
        Publisher = publisher;
        _time = time;
        _logger = logger;
        _maxJumpSeconds = maxTimestampJump.TotalSeconds;
        _demuxer = new FlvDemuxer(new TimelineRepair(maxTimestampJump, TimelineRepair.DefaultBackwardTolerance));
    }

    public StreamPublisher Publisher { get; }

    private string Key => Publisher.Stream.Key;

    /// <summary>
    /// One audio or video message, in a buffer this call takes over (the chunk reader's reassembly
    /// buffer, detached: no copy). Throws <see cref="MediaFormatException"/> for media that ends this publish.
    /// </summary>
    public void OnMediaMessage(RtmpMessageType type, uint timestamp, MediaBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        _current = buffer;
        _receivedAt = _time.GetUtcNow();
        try
        {
            Publisher.Received(buffer.Length, _receivedAt);
            _demuxer.Demux(type == RtmpMessageType.Video ? FlvTagType.Video : FlvTagType.Audio, timestamp, buffer.Memory, this);
            Publisher.DroppedBeforeConfig = _demuxer.DroppedBeforeConfig;
        }
        finally
        {
            _current = null;
            buffer.Release();
        }
    }

    public void OnMetadata(StreamMetadata metadata, byte[] onMetaDataBody)
    {
        Publisher.Received(onMetaDataBody.Length, _time.GetUtcNow());
        Publisher.SetMetadata(new HubMetadata(metadata, onMetaDataBody));
    }

    void IMediaSink.OnCodecConfig(CodecConfig config)
    {
        // The sequence header's tag body, for RTMP viewers: the message's own buffer (handed over, never reused).
        ReadOnlyMemory<byte> header = _current?.Memory ?? default;
        if (config.Kind == MediaKind.Video)
        {
            _video = new HubTrack(HubTrack.Source, config, header);
            Publisher.SetTrack(_video);
            RtmpLog.VideoTrack(_logger, Key, config.Codec, config.CodecString, config.Width, config.Height, config.FrameRate);
        }
        else
        {
            _audio = new HubTrack(HubTrack.Audio, config, header);
            Publisher.SetTrack(_audio);
            RtmpLog.AudioTrack(_logger, Key, config.Codec, config.CodecString, config.SampleRate, config.Channels);
        }
    }

    void IMediaSink.OnAccessUnit(in AccessUnit unit)
    {
        HubTrack? track = unit.Kind == MediaKind.Video ? _video : _audio;
        if (track is not null && _current is { } buffer)
        {
            Publisher.Write(track, unit, _receivedAt, buffer, buffer.Memory);
        }
    }

    void IMediaSink.OnTimestampRepaired(MediaKind kind, long fromMs, long toMs)
        => RtmpLog.TimestampRepaired(_logger, Key, kind, fromMs, toMs);

    void IMediaSink.OnTimelineJump(MediaKind kind, long fromMs, long toMs)
        => RtmpLog.TimelineJump(_logger, Key, kind, fromMs, toMs, _maxJumpSeconds);
}
