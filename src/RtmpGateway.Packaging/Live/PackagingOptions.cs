using RtmpGateway.Media;

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

    /// <summary>
    /// How long the output of a publisher whose connection dropped (no unpublish) stays live for it to
    /// come back: a publish to the same name within it continues the same playlists after a
    /// discontinuity. 15 s covers an encoder's reconnect (OBS retries after 2 s, then backs off; a
    /// Wi-Fi or mobile hand-over takes a few seconds) and is about as long as hls.js keeps retrying a
    /// playlist that does not advance. 0 ends the stream at once.
    /// </summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A publisher timestamp this far ahead of the stream's latest one, a track this far behind the
    /// other, or any step back of more than 100 ms, is a jump: the track's timeline is re-based to go on
    /// one frame later (Media.TimelineRepair), instead of one sample as long as the jump or a run of
    /// frames with one timestamp. 5 s is more than any real audio/video interleaving and less than a segment may last.
    /// </summary>
    public TimeSpan MaxTimestampJump { get; set; } = TimelineRepair.DefaultMaxJump;

    /// <summary>Checks every value, naming the configuration key that is wrong.</summary>
    public void Validate()
    {
        Require(SegmentTarget >= TimeSpan.FromMilliseconds(500) && SegmentTarget <= TimeSpan.FromSeconds(30), "Packaging:SegmentTarget must be 0.5 s to 30 s");
        Require(PartTarget >= TimeSpan.FromMilliseconds(100) && PartTarget <= SegmentTarget, "Packaging:PartTarget must be 0.1 s up to Packaging:SegmentTarget");
        Require(MaxSegmentDuration >= SegmentTarget, "Packaging:MaxSegmentDuration must be at least Packaging:SegmentTarget");
        Require(PlaylistSegments is >= 3 and <= 100, "Packaging:PlaylistSegments must be 3 to 100");
        Require(RetainedSegments >= PlaylistSegments && RetainedSegments <= 200, "Packaging:RetainedSegments must be Packaging:PlaylistSegments to 200");
        Require(EndedRetention >= TimeSpan.Zero, "Packaging:EndedRetention must not be negative");
        Require(MaxTimestampJump >= TimeSpan.FromMilliseconds(500) && MaxTimestampJump <= TimeSpan.FromHours(1), "Packaging:MaxTimestampJump must be 0.5 s to 1 hour");
        Require(ReconnectGrace >= TimeSpan.Zero && ReconnectGrace <= TimeSpan.FromMinutes(10), "Packaging:ReconnectGrace must be 0 to 10 minutes");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
