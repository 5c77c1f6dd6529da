namespace RtmpGateway.Server.Streams;

/// <summary>An RTMP viewer fed from a live stream. Enqueue must not block: a full viewer drops itself.</summary>
public interface IRelayViewer
{
    void Enqueue(RelayMessage message);

    void OnPublisherEnded();
}
