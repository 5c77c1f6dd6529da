using RtmpGateway.Media;

namespace RtmpGateway.Server.Streams;

/// <summary>
/// A later stage (packager, transcoder, test) following one live stream's tracks. Calls come on the
/// publisher's connection thread, in order; a subscriber that needs time queues the work itself.
/// </summary>
public interface IStreamSubscriber
{
    /// <summary>A track's codec config: the current ones first on subscribe, then each change.</summary>
    void OnCodecConfig(LiveStream stream, CodecConfig config);

    void OnAccessUnit(LiveStream stream, in AccessUnit unit);

    void OnMetadata(LiveStream stream, StreamMetadata metadata);

    /// <summary>The publisher is gone; no more calls follow.</summary>
    void OnEnded(LiveStream stream);
}
