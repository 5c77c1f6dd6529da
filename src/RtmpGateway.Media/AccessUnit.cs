namespace RtmpGateway.Media;

/// <summary>
/// One coded frame. <see cref="Dts"/> and <see cref="Pts"/> are ticks of <c>Config.Timescale</c>.
/// <see cref="Payload"/> is length-prefixed NAL units (AVCC/HVCC), OBUs for AV1, or one raw AAC frame;
/// it is a slice of the tag memory given to <see cref="FlvDemuxer.Demux"/> (no copy), valid as long as
/// the caller keeps that memory alive.
/// </summary>
public readonly record struct AccessUnit(CodecConfig Config, long Dts, long Pts, bool IsKeyframe, ReadOnlyMemory<byte> Payload)
{
    public int TrackId => Config.TrackId;

    public MediaKind Kind => Config.Kind;
}

/// <summary>Receives what the demuxer finds in a stream's tags.</summary>
public interface IMediaSink
{
    /// <summary>A new or changed sequence header; an identical repeated header is not reported again.</summary>
    void OnCodecConfig(CodecConfig config);

    void OnAccessUnit(in AccessUnit unit);

    /// <summary>A non-monotonic DTS was clamped from <paramref name="fromMs"/> to <paramref name="toMs"/> (the caller logs it).</summary>
    void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs);

    /// <summary>
    /// The publisher's clock jumped (see <see cref="TimelineRepair"/>): the unit at <paramref name="fromMs"/>
    /// was re-based to <paramref name="toMs"/>, and the track's later units move with it. Ignored unless implemented.
    /// </summary>
    void OnTimelineJump(MediaKind kind, long fromMs, long toMs)
    {
    }
}
