using System.ComponentModel.DataAnnotations;

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

    /// <summary>
    /// Requests held at once waiting for media that does not exist yet: LL-HLS blocking playlist
    /// reloads (_HLS_msn) and requests for the preload-hinted part. One more is answered 503 with
    /// Retry-After at once. Each held request keeps a connection and a few KB; an LL-HLS viewer holds
    /// about two per rendition it plays (playlist and part), so 10 000 is about 2 500 viewers of
    /// video and audio, beyond which a single host should not be serving LL-HLS from its origin.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxParkedRequests { get; set; } = 10_000;

    /// <summary>
    /// Media requests per second allowed per client address, as a token bucket; 0 turns rate
    /// limiting off. hls.js in low-latency mode makes 4-6 requests a second per rendition (about 12
    /// for video and audio); 200 leaves room for a dozen viewers behind one NAT. Behind a proxy or a
    /// CDN every request comes from its address: raise it there, or set 0. Over it: 429.
    /// </summary>
    [Range(0, 10_000_000)]
    public int RateLimitPerSecond { get; set; } = 200;

    /// <summary>Requests a client may make back to back above the rate (the bucket's size): a player starting up fetches playlists, init segments and the first segments together.</summary>
    [Range(1, 10_000_000)]
    public int RateLimitBurst { get; set; } = 400;

    /// <summary>
    /// The slowest a client may read a response, in bytes per second, after the grace period (Kestrel's
    /// MinResponseDataRate; a write of N bytes may take N / rate seconds); 0 turns the check off. A
    /// client under 4 KB/s (32 kbit/s) cannot play even the audio; at Kestrel's own 240 B/s one could
    /// hold a connection and an evicted 1 MB segment for over an hour.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MinResponseDataRate { get; set; } = 4096;

    /// <summary>The slowest a client may send a request body (Kestrel's MinRequestBodyDataRate); 0 turns it off. The endpoints read no bodies: Kestrel's 240 B/s.</summary>
    [Range(0, int.MaxValue)]
    public int MinRequestBodyDataRate { get; set; } = 240;

    /// <summary>Grace period of both data rates, as Kestrel's (it must exceed Kestrel's 1 s heartbeat).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan DataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
