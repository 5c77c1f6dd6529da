namespace RtmpGateway.Server.Live;

/// <summary>HTTP delivery settings (configuration section "Http").</summary>
public sealed class HttpOptions
{
    public const string SectionName = "Http";

    /// <summary>Origins allowed to fetch playlists and segments from a page elsewhere; "*" (any) by default, as players are embedded anywhere.</summary>
    public string[] CorsOrigins { get; set; } = ["*"];

    /// <summary>Cache lifetime of playlists and MPDs: 1 s lets an edge cache absorb a crowd without adding latency.</summary>
    public TimeSpan PlaylistMaxAge { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a first playlist request waits for the stream's first segment before answering.</summary>
    public TimeSpan FirstSegmentWait { get; set; } = TimeSpan.FromSeconds(8);
}
