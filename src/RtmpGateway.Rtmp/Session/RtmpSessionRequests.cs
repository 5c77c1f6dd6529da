namespace RtmpGateway.Rtmp.Session;

/// <summary>What a connection does once publish or play was accepted; it never changes after.</summary>
public enum RtmpSessionRole
{
    None,
    Publisher,
    Player,
}

/// <summary>
/// A publish command (§7.2.2.6) on a created stream. <see cref="RequestedName"/> is the name as the
/// client sent it, "name?query" (it may be a stream key): the host decides the public name.
/// </summary>
public sealed record PublishRequest(string App, string RequestedName, uint MessageStreamId);

/// <summary>A play command (§7.2.2.1) on a created stream; <see cref="RequestedName"/> as sent, "name?query".</summary>
public sealed record PlayRequest(string App, string RequestedName, uint MessageStreamId);

/// <summary>Settings the session answers connect with.</summary>
public sealed class RtmpServerSessionOptions
{
    /// <summary>Sent as Window Acknowledgement Size and Set Peer Bandwidth (§5.4.4, §5.4.5).</summary>
    public uint WindowAckSize { get; init; } = 2_500_000;

    /// <summary>Our chunk size, announced with Set Chunk Size right after connect (§5.4.1).</summary>
    public int OutChunkSize { get; init; } = 4096;

    public Amf.AmfLimits AmfLimits { get; init; } = Amf.AmfLimits.Default;
}
