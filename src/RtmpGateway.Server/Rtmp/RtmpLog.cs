using RtmpGateway.Media;
using RtmpGateway.Rtmp;

namespace RtmpGateway.Server.Rtmp;

/// <summary>The RTMP server's log lines, one fixed event id each. No secret ever reaches these arguments.</summary>
internal static partial class RtmpLog
{
    [LoggerMessage(1000, LogLevel.Information, "RTMP listening on {EndPoint}")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(1021, LogLevel.Information, "RTMPS listening on {EndPoint}")]
    public static partial void ListeningTls(ILogger logger, string endPoint);

    [LoggerMessage(1001, LogLevel.Information, "RTMP connection {ConnectionId} opened from {Remote}")]
    public static partial void ConnectionOpened(ILogger logger, string connectionId, string? remote);

    [LoggerMessage(1002, LogLevel.Information, "RTMP connection {ConnectionId} connected to app {App} ({FlashVer}, handshake {Scheme})")]
    public static partial void Connected(ILogger logger, string connectionId, string app, string? flashVer, string scheme);

    [LoggerMessage(1003, LogLevel.Information, "RTMP connection {ConnectionId} publishing {Stream}")]
    public static partial void PublishStarted(ILogger logger, string connectionId, string stream);

    [LoggerMessage(1004, LogLevel.Warning, "RTMP connection {ConnectionId} refused publish of {Stream}: {Reason}")]
    public static partial void PublishRefused(ILogger logger, string connectionId, string stream, string reason);

    [LoggerMessage(1005, LogLevel.Information, "RTMP connection {ConnectionId} unpublished {Stream}: {VideoFrames} video and {AudioFrames} audio frames, {Bytes} bytes")]
    public static partial void Unpublished(ILogger logger, string connectionId, string stream, long videoFrames, long audioFrames, long bytes);

    [LoggerMessage(1006, LogLevel.Information, "RTMP connection {ConnectionId} playing {Stream}")]
    public static partial void PlayStarted(ILogger logger, string connectionId, string stream);

    [LoggerMessage(1007, LogLevel.Warning, "RTMP connection {ConnectionId} refused play of {Stream}: {Reason}")]
    public static partial void PlayRefused(ILogger logger, string connectionId, string stream, string reason);

    [LoggerMessage(1008, LogLevel.Information, "RTMP connection {ConnectionId} closed: {Reason} ({BytesIn} bytes in, {BytesOut} bytes out, {Seconds:F1} s)")]
    public static partial void Disconnected(ILogger logger, string connectionId, string reason, long bytesIn, long bytesOut, double seconds);

    [LoggerMessage(1009, LogLevel.Warning, "RTMP connection {ConnectionId} protocol error {ErrorReason}: {Message}")]
    public static partial void ProtocolError(ILogger logger, string connectionId, RtmpErrorReason errorReason, string message);

    [LoggerMessage(1010, LogLevel.Warning, "RTMP connection {ConnectionId} ended stream {Stream}: media error {MediaReason}: {Message}")]
    public static partial void MediaError(ILogger logger, string connectionId, string stream, MediaErrorReason mediaReason, string message);

    [LoggerMessage(1011, LogLevel.Warning, "RTMP viewer {ConnectionId} of {Stream} dropped: backlog of {Backlog} bytes exceeds {Limit}")]
    public static partial void ViewerTooSlow(ILogger logger, string connectionId, string stream, long backlog, int limit);

    [LoggerMessage(1012, LogLevel.Warning, "Stream {Stream}: non-monotonic {Kind} timestamp {FromMs} ms clamped to {ToMs} ms")]
    public static partial void TimestampRepaired(ILogger logger, string stream, MediaKind kind, long fromMs, long toMs);

    [LoggerMessage(1013, LogLevel.Information, "Stream {Stream}: video {Codec} {CodecString} {Width}x{Height} at {FrameRate} fps")]
    public static partial void VideoTrack(ILogger logger, string stream, MediaCodec codec, string codecString, int width, int height, double? frameRate);

    [LoggerMessage(1015, LogLevel.Information, "Stream {Stream}: audio {Codec} {CodecString} {SampleRate} Hz, {Channels} channels")]
    public static partial void AudioTrack(ILogger logger, string stream, MediaCodec codec, string codecString, int sampleRate, int channels);

    /// <summary>Moved here from the packaging service with the clock repair's callbacks; the id stays the message's.</summary>
    [LoggerMessage(2009, LogLevel.Warning, "Stream {Stream}: the publisher's {Kind} clock jumped (to {FromMs} ms, beyond {MaxSeconds} s or backwards); the timeline goes on at {ToMs} ms")]
    public static partial void TimelineJump(ILogger logger, string stream, MediaKind kind, long fromMs, long toMs, double maxSeconds);

    [LoggerMessage(1100, LogLevel.Warning, "RTMP connection from {Remote} refused: {Reason} (+{NotLogged} refused since the last such line)")]
    public static partial void ConnectionRefused(ILogger logger, string? remote, string reason, int notLogged);

    [LoggerMessage(1014, LogLevel.Error, "RTMP connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(1020, LogLevel.Warning, "RTMP connection {ConnectionId} takes over {Stream} from silent publisher {OldConnectionId}")]
    public static partial void PublisherTakenOver(ILogger logger, string connectionId, string stream, string oldConnectionId);
}
