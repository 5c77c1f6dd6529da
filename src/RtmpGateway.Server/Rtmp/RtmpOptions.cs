using System.ComponentModel.DataAnnotations;

namespace RtmpGateway.Server.Rtmp;

/// <summary>The RTMP listener and its per-connection limits (configuration section "Rtmp").</summary>
public sealed class RtmpOptions
{
    public const string SectionName = "Rtmp";

    /// <summary>TCP port; 1935 is RTMP's registered port. 0 picks a free port and logs it.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 1935;

    /// <summary>Address to bind; any interface by default, like every RTMP server.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// RTMP connections open at once, whatever their state; more are closed at accept. Each costs a
    /// socket and a few KB until it does something: 10 000 is far above any real mix of encoders and
    /// RTMP viewers on one host, and keeps a flood of idle sockets from exhausting file descriptors.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// RTMP connections from one remote address at once; more are closed at accept. An encoder uses
    /// one; 100 leaves room for a studio behind one NAT, yet one host cannot take every slot.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxConnectionsPerIp { get; set; } = 100;

    /// <summary>
    /// Streams being published at once; a publish beyond it is refused (NetStream.Publish.Failed).
    /// Each live stream holds its latest GOP and its segments in memory (10-40 MB at 1080p) and, with
    /// a ladder preset, a core or more: 100 fits a large host; size it to yours.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxLiveStreams { get; set; } = 100;

    /// <summary>
    /// A publish to a name whose publisher has sent nothing for this long closes that publisher and
    /// takes over (within Packaging:ReconnectGrace the playlists continue): an encoder that lost its
    /// network comes back before the gateway notices its old connection is dead. 0 never takes over.
    /// </summary>
    public TimeSpan StalePublisherTakeover { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Our outbound chunk size: 4096 cuts the per-chunk overhead of video ~30x against the default 128.</summary>
    [Range(128, 65536)]
    public int OutChunkSize { get; set; } = 4096;

    /// <summary>Largest message accepted from a peer: a 1080p keyframe is well under 2 MiB; 8 MiB leaves room for 4K.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageSize { get; set; } = 8 * 1024 * 1024;

    /// <summary>Chunk streams one connection may open: encoders use fewer than 10.</summary>
    [Range(4, 65599)]
    public int MaxChunkStreams { get; set; } = 64;

    /// <summary>AMF nesting depth accepted in commands and metadata: real clients nest 2 or 3 deep.</summary>
    [Range(2, 1000)]
    public int MaxAmfDepth { get; set; } = 32;

    /// <summary>Time allowed for C0..C2: a real client needs one round trip; slow loris needs longer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection that sends nothing for this long is closed (publishers send media many times a second).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Window Acknowledgement Size we announce: peers ack after this many bytes (FMS's default).</summary>
    [Range(4096, int.MaxValue)]
    public int WindowAckSize { get; set; } = 2_500_000;

    /// <summary>Bytes queued for one RTMP viewer before it counts as too slow and is dropped: a few seconds of 1080p.</summary>
    [Range(64 * 1024, int.MaxValue)]
    public int MaxViewerBacklogBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Bytes of the latest GOP kept for new viewers; a longer GOP stops being cached until the next keyframe.</summary>
    [Range(64 * 1024, int.MaxValue)]
    public int MaxGopCacheBytes { get; set; } = 32 * 1024 * 1024;
}
