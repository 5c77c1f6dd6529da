using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Rtmp.Session;

/// <summary>
/// What an <see cref="RtmpServerSession"/> tells its host, on the thread that called
/// <see cref="RtmpServerSession.Handle"/>. The one way the session reports; it never waits for the host.
/// </summary>
public interface IRtmpSessionHandler
{
    /// <summary>connect was answered (§7.2.1.1); <see cref="RtmpServerSession.App"/> and the client's properties are set.</summary>
    void OnConnected();

    /// <summary>
    /// publish on a created stream: answer with <see cref="RtmpServerSession.AcceptPublish"/> or
    /// <see cref="RtmpServerSession.RejectPublish"/>, now or later (no message should be handled meanwhile).
    /// </summary>
    void OnPublishRequested(PublishRequest request);

    /// <summary>play on a created stream: answer with <see cref="RtmpServerSession.AcceptPlay"/> or <see cref="RtmpServerSession.RejectPlay"/>.</summary>
    void OnPlayRequested(PlayRequest request);

    /// <summary>
    /// An audio or video message while publishing. It is the message just read, so its payload may be
    /// taken over with <see cref="Chunks.ChunkReader.DetachPayload"/>; otherwise it is valid until the next read.
    /// </summary>
    void OnMedia(in RtmpMessage message);

    /// <summary>An audio or video part of an Aggregate Message while publishing; the payload is a slice of the aggregate.</summary>
    void OnMediaPart(in AggregatePart part);

    /// <summary>onMetaData (or @setDataFrame onMetaData) while publishing.</summary>
    void OnMetadata(AmfObject properties, uint timestamp);

    /// <summary>FCUnpublish: the publisher says it is done (already answered).</summary>
    void OnUnpublish();

    /// <summary>deleteStream or closeStream: whatever the stream published or played ends.</summary>
    void OnCloseStream();
}
