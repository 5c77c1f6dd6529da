namespace RtmpGateway.Server.Streams;

/// <summary>
/// An RTMP viewer fed from a live stream. Enqueue must not block: it sends what the viewer's socket
/// takes at once, on the caller's thread, and queues the rest; a viewer too far behind drops itself.
/// </summary>
public interface IRelayViewer
{
    void Enqueue(RelayMessage message);

    void OnPublisherEnded();
}
