namespace RtmpGateway.Packaging.Live;

/// <summary>How live streams are cut and how much of them is kept (configuration section "Packaging").</summary>
public sealed class PackagingOptions
{
    public const string SectionName = "Packaging";

    /// <summary>
    /// A segment ends at the first keyframe at or after this duration, so with 1 s a segment is one
    /// GOP for any GOP of 1 s or more. Classic HLS players sit three segments behind the live edge:
    /// with a 1 s GOP that is about 3.5 s, with a 2 s GOP about 6.5 s. Low-latency players go by
    /// parts and are not affected.
    /// </summary>
    public TimeSpan SegmentTarget { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>CMAF chunk (LL-HLS part) duration: 0.5 s is the HLS authoring guidance for low latency.</summary>
    public TimeSpan PartTarget { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Low-Latency HLS tags (parts, preload hints, blocking reload) and low-latency DASH; classic players ignore them.</summary>
    public bool LowLatency { get; set; } = true;

    /// <summary>A GOP longer than this is cut anyway (and logged), so a publisher with rare keyframes cannot make one huge segment.</summary>
    public TimeSpan MaxSegmentDuration { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// Segments listed in a live playlist and MPD: 10 one-second segments give players 10 s to
    /// recover in, and LL-HLS delta updates (which skip what is older than 6 target durations) something to skip.
    /// </summary>
    public int PlaylistSegments { get; set; } = 10;

    /// <summary>Segments kept in memory: a few more than listed, for players that fetch just after the window moved.</summary>
    public int RetainedSegments { get; set; } = 13;

    /// <summary>How long an ended stream's playlists (with ENDLIST) and static MPD stay available.</summary>
    public TimeSpan EndedRetention { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Checks every value, naming the configuration key that is wrong.</summary>
    public void Validate()
    {
        Require(SegmentTarget >= TimeSpan.FromMilliseconds(500) && SegmentTarget <= TimeSpan.FromSeconds(30), "Packaging:SegmentTarget must be 0.5 s to 30 s");
        Require(PartTarget >= TimeSpan.FromMilliseconds(100) && PartTarget <= SegmentTarget, "Packaging:PartTarget must be 0.1 s up to Packaging:SegmentTarget");
        Require(MaxSegmentDuration >= SegmentTarget, "Packaging:MaxSegmentDuration must be at least Packaging:SegmentTarget");
        Require(PlaylistSegments is >= 3 and <= 100, "Packaging:PlaylistSegments must be 3 to 100");
        Require(RetainedSegments >= PlaylistSegments && RetainedSegments <= 200, "Packaging:RetainedSegments must be Packaging:PlaylistSegments to 200");
        Require(EndedRetention >= TimeSpan.Zero, "Packaging:EndedRetention must not be negative");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
