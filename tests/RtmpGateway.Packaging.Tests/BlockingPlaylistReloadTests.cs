using RtmpGateway.Packaging.Live;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// RFC 8216bis §6.2.5.2 Blocking Playlist Reload over snapshots made by the real packager: 30 fps
/// video with a keyframe every 2 s, so 2 s segments (EXT-X-TARGETDURATION 2, three of them 6 s) of
/// four 0.5 s parts (Advance Part Limit 3 / 0.5 = 6).
/// </summary>
public class BlockingPlaylistReloadTests
{
    private static readonly PackagingOptions Options = new();

    private static readonly TimeSpan ThreeTargetDurations = TimeSpan.FromSeconds(6);

    /// <summary>5.2 s in: segments 1 and 2 complete, segment 3 growing with parts 3.0 and 3.1.</summary>
    private static TrackSnapshot Live()
    {
        TrackSnapshot track = Video(5.2, end: false);
        Assert.Equal([1L, 2], track.Segments.Select(s => s.Sequence));
        Assert.Equal((3L, 1), track.LastPart());
        Assert.Equal(2, track.TargetDurationSeconds);
        return track;
    }

    private static TrackSnapshot Video(double seconds, bool end, PackagingOptions? options = null) =>
        StreamPackagerTests.Feed(seconds, audio: false, end: end, options: options).Output.Find("source")!;

    private static PlaylistDecision Decide(TrackSnapshot track, string? msn = null, string? part = null, string? skip = null, PackagingOptions? options = null) =>
        BlockingPlaylistReload.Decide(track, msn, part, skip, options ?? Options);

    [Theory]
    [InlineData("3", null, null, 3L, null, false)]
    [InlineData("3", "2", null, 3L, 2, false)]
    [InlineData("3", "1", "YES", 3L, 1, true)]
    [InlineData("", null, "v2", null, null, true)]
    [InlineData(null, null, "yes", null, null, false)]
    [InlineData(null, null, "NO", null, null, false)]
    [InlineData(null, null, null, null, null, false)]
    public void TryParse_DecimalIntegers_GivesTheDirectives(string? msn, string? part, string? skip, long? wantedMsn, int? wantedPart, bool delta)
    {
        // An empty _HLS_msn is not a decimal-integer; the other rows are.
        bool parsed = DeliveryDirectives.TryParse(msn, part, skip, out DeliveryDirectives directives);

        Assert.Equal(msn != "", parsed);
        if (parsed)
        {
            Assert.Equal(new DeliveryDirectives(wantedMsn, wantedPart, delta), directives);
        }
    }

    [Theory]
    [InlineData("abc", null)]
    [InlineData("-1", null)]
    [InlineData(" 3", null)]
    [InlineData("+3", null)]
    [InlineData("3.0", null)]
    [InlineData("", null)]
    [InlineData("3", "x")]
    [InlineData("3", "-1")]
    [InlineData("3", "")]
    [InlineData("99999999999999999999", null)]
    public void Decide_DirectiveNotADecimalInteger_IsBadRequest(string msn, string? part)
    {
        PlaylistDecision decision = Decide(Live(), msn, part);

        Assert.Equal(PlaylistAction.BadRequest, decision.Action);
        Assert.Equal(BlockingPlaylistReload.MalformedDirectives, decision.Problem);
    }

    [Fact]
    public void Decide_PartWithoutMsn_IsBadRequest()
    {
        // "If the Playlist URI contains an _HLS_part directive but no _HLS_msn directive, the Server
        // MUST return Bad Request": of a live playlist and of an ended one alike.
        Assert.Equal(PlaylistAction.BadRequest, Decide(Live(), part: "1").Action);
        Assert.Equal(PlaylistAction.BadRequest, Decide(Video(5.2, end: true), part: "1").Action);
    }

    [Fact]
    public void Decide_NoDirectives_ServesAtOnce()
    {
        PlaylistDecision decision = Decide(Live());

        Assert.Equal(PlaylistAction.Serve, decision.Action);
        Assert.False(decision.Skip);
    }

    [Fact]
    public void Decide_NoSegmentYet_AwaitsTheFirst_ThenServes()
    {
        TrackSnapshot early = Video(0.3, end: false);
        Assert.Empty(early.Segments);

        PlaylistDecision decision = Decide(early, skip: "YES");

        Assert.Equal(PlaylistAction.AwaitFirstSegment, decision.Action);
        // No spec limit on this wait: it stays a wait however long it was held.
        Assert.Same(decision, BlockingPlaylistReload.Recheck(early, decision, TimeSpan.FromMinutes(1)));
        Assert.Same(decision, BlockingPlaylistReload.Recheck(null, decision, TimeSpan.Zero));
        PlaylistDecision later = BlockingPlaylistReload.Recheck(Live(), decision, TimeSpan.FromSeconds(2));
        Assert.Equal(PlaylistAction.Serve, later.Action);
        Assert.True(later.Skip);
        Assert.Equal(PlaylistAction.Serve, BlockingPlaylistReload.Recheck(Video(0.3, end: true), decision, TimeSpan.Zero).Action);
    }

    [Theory]
    [InlineData("1", null)]
    [InlineData("2", null)]
    [InlineData("2", "3")]
    [InlineData("3", "0")]
    [InlineData("3", "1")]
    [InlineData("0", null)]
    public void Decide_SegmentOrPartInThePlaylist_ServesAtOnce(string msn, string? part)
    {
        // "The Server MUST deliver the entire Playlist, even if the requested Media Segment is not
        // the last one in the Playlist, and even if it is no longer in the Playlist."
        Assert.Equal(PlaylistAction.Serve, Decide(Live(), msn, part).Action);
    }

    [Fact]
    public void Decide_PartIndexPastTheLastOfItsSegment_IsPartZeroOfTheNext()
    {
        // "If the Client requests a Part Index greater than that of the final Partial Segment of the
        // Parent Segment, the Server MUST treat the request as one for Part Index 0 of the following
        // Parent Segment." Segment 2 has parts 0..3 and 3.0 exists.
        TrackSnapshot track = Live();
        Assert.Equal(4, track.Segments[^1].Parts.Count);

        Assert.Equal(PlaylistAction.Serve, Decide(track, "2", "4").Action);
        Assert.Equal(PlaylistAction.Serve, Decide(track, "2", "9").Action);
    }

    [Fact]
    public void Decide_GrowingSegmentWithoutPart_BlocksUntilItIsComplete()
    {
        // "the Server MUST defer responding to the request until the Playlist contains a Media
        // Segment with a Media Sequence Number of M or later": segment 3 has parts, it is not one yet.
        PlaylistDecision decision = Decide(Live(), "3");

        Assert.Equal(PlaylistAction.Block, decision.Action);
        Assert.Equal(3, decision.Msn);
        Assert.Null(decision.Part);
        Assert.Equal(ThreeTargetDurations, decision.Limit);
        Assert.Equal(ThreeTargetDurations, decision.Remaining);
    }

    [Theory]
    [InlineData("3", "2")]
    [InlineData("3", "7")]
    [InlineData("4", null)]
    [InlineData("4", "0")]
    [InlineData("5", null)]
    [InlineData("5", "3")]
    public void Decide_UpToTwoAheadAndWithinTheAdvancePartLimit_Blocks(string msn, string? part)
    {
        // 3.7 is six parts past 3.1, the last: exactly the Advance Part Limit, not beyond it.
        // 5 is the last Media Sequence Number (3, that of the newest part) plus two.
        PlaylistDecision decision = Decide(Live(), msn, part);

        Assert.Equal(PlaylistAction.Block, decision.Action);
        Assert.Equal(long.Parse(msn, System.Globalization.CultureInfo.InvariantCulture), decision.Msn);
        Assert.Equal(part is null ? null : int.Parse(part, System.Globalization.CultureInfo.InvariantCulture), decision.Part);
        Assert.Equal(ThreeTargetDurations, decision.Limit);
    }

    [Theory]
    [InlineData("6", null)]
    [InlineData("6", "0")]
    [InlineData("100", null)]
    [InlineData("3", "8")]
    [InlineData("3", "50")]
    public void Decide_BeyondTwoAheadOrTheAdvancePartLimit_IsBadRequest(string msn, string? part)
    {
        // "If the _HLS_msn is greater than the Media Sequence Number of the last Media Segment in
        // the current Playlist plus two, or if the _HLS_part exceeds the last Partial Segment in the
        // current Playlist by the Advance Part Limit, then the server SHOULD immediately return Bad Request".
        PlaylistDecision decision = Decide(Live(), msn, part);

        Assert.Equal(PlaylistAction.BadRequest, decision.Action);
        Assert.Equal(BlockingPlaylistReload.TooFarAhead, decision.Problem);
    }

    [Fact]
    public void Decide_NextSegmentWithAFarPart_Blocks()
    {
        // The Advance Part Limit is counted from "the last Partial Segment in the current Playlist",
        // 3.1, within its segment: a part of segment 4 is not held against it (4 is within two ahead).
        Assert.Equal(PlaylistAction.Block, Decide(Live(), "4", "20").Action);
    }

    [Theory]
    [InlineData(100, 30)]
    [InlineData(250, 12)]
    [InlineData(300, 10)]
    [InlineData(400, 8)]
    [InlineData(500, 6)]
    [InlineData(600, 5)]
    [InlineData(999, 4)]
    [InlineData(1000, 3)]
    [InlineData(2000, 3)]
    public void AdvancePartLimit_ThreeOverThePartTargetBelowOneSecond_ElseThree(int partTargetMs, int limit)
    {
        // "three divided by the Part Target Duration if the Part Target Duration is less than one
        // second, or three otherwise", in whole parts rounded up (3 / 0.4 = 7.5 -> 8).
        Assert.Equal(limit, BlockingPlaylistReload.AdvancePartLimit(TimeSpan.FromMilliseconds(partTargetMs)));
    }

    [Fact]
    public void Decide_OneSecondParts_AdvancePartLimitIsThree()
    {
        var options = new PackagingOptions { PartTarget = TimeSpan.FromSeconds(1) };
        TrackSnapshot track = Video(5.2, end: false, options);
        Assert.Equal((3L, 0), track.LastPart());

        Assert.Equal(PlaylistAction.Block, Decide(track, "3", "3", options: options).Action);
        Assert.Equal(PlaylistAction.BadRequest, Decide(track, "3", "4", options: options).Action);
    }

    [Theory]
    [InlineData("100", null)]
    [InlineData("3", "50")]
    [InlineData("4", null)]
    public void Decide_EndedPlaylist_IgnoresMsnAndPart(string msn, string? part)
    {
        // "A Server MUST ignore _HLS_msn and _HLS_part if the Playlist contains an EXT-X-ENDLIST tag."
        TrackSnapshot ended = Video(5.2, end: true);
        Assert.True(ended.Ended);

        PlaylistDecision decision = Decide(ended, msn, part, skip: "YES");

        Assert.Equal(PlaylistAction.Serve, decision.Action);
        Assert.False(decision.Skip);
    }

    [Theory]
    [InlineData("YES", true)]
    [InlineData("v2", true)]
    [InlineData("yes", false)]
    [InlineData("V2", false)]
    [InlineData("NO", false)]
    [InlineData("", false)]
    public void Decide_Skip_ServesADeltaUpdateForYesOrV2(string skip, bool delta)
    {
        // "an _HLS_skip directive whose value is YES or v2, it MUST respond with a Playlist Delta Update."
        Assert.Equal(delta, Decide(Live(), skip: skip).Skip);
        Assert.Equal(delta, Decide(Live(), "2", skip: skip).Skip);
        Assert.Equal(delta, Decide(Live(), "3", "2", skip: skip).Skip);
    }

    [Fact]
    public void Decide_SkipOfAnEndedPlaylist_IsIgnored()
    {
        // "A Server MUST ignore the _HLS_skip directive if [...] it contains an EXT-X-ENDLIST tag."
        Assert.False(Decide(Video(5.2, end: true), skip: "YES").Skip);
    }

    [Fact]
    public void Decide_LowLatencyOff_NeitherBlocksNorRefusesNorSkips()
    {
        // Without CAN-BLOCK-RELOAD and CAN-SKIP-UNTIL there is nothing to block for or to skip
        // (§6.2.5.1 "MUST ignore the _HLS_skip directive if the Playlist does not contain the
        // CAN-SKIP-UNTIL attribute"); the directives must still be well-formed.
        var options = new PackagingOptions { LowLatency = false };
        TrackSnapshot track = Video(5.2, end: false, options);

        PlaylistDecision far = Decide(track, "100", "0", "YES", options);

        Assert.Equal(PlaylistAction.Serve, far.Action);
        Assert.False(far.Skip);
        Assert.Equal(PlaylistAction.BadRequest, Decide(track, "x", options: options).Action);
    }

    [Fact]
    public void Recheck_PartMade_Serves()
    {
        PlaylistDecision blocked = Decide(Live(), "3", "2", "YES");
        TrackSnapshot later = Video(5.7, end: false);
        Assert.True(later.LastPart().CompareTo((3L, 2)) >= 0);

        PlaylistDecision decision = BlockingPlaylistReload.Recheck(later, blocked, TimeSpan.FromSeconds(0.5));

        Assert.Equal(PlaylistAction.Serve, decision.Action);
        Assert.True(decision.Skip);
    }

    [Fact]
    public void Recheck_SegmentCompleted_Serves()
    {
        PlaylistDecision blocked = Decide(Live(), "3");

        Assert.Equal(PlaylistAction.Block, BlockingPlaylistReload.Recheck(Video(5.7, end: false), blocked, TimeSpan.FromSeconds(0.5)).Action);
        Assert.Equal(PlaylistAction.Serve, BlockingPlaylistReload.Recheck(Video(6.2, end: false), blocked, TimeSpan.FromSeconds(1)).Action);
    }

    [Fact]
    public void Recheck_NotThereYet_BlocksForWhatIsLeftOfThreeTargetDurations()
    {
        TrackSnapshot track = Live();
        PlaylistDecision blocked = Decide(track, "3", "2");

        PlaylistDecision decision = BlockingPlaylistReload.Recheck(track, blocked, TimeSpan.FromSeconds(5.9));

        Assert.Equal(PlaylistAction.Block, decision.Action);
        Assert.Equal(TimeSpan.FromSeconds(0.1), decision.Remaining);
        Assert.Equal(ThreeTargetDurations, decision.Limit);
        Assert.Equal((3L, 2), (decision.Msn, decision.Part));
    }

    [Theory]
    [InlineData(6.0)]
    [InlineData(6.001)]
    [InlineData(60)]
    public void Recheck_NotThereAfterThreeTargetDurations_IsServiceUnavailable(double heldSeconds)
    {
        // "A Server that cannot provide the requested Playlist after blocking for more than three
        // Target Durations SHOULD return Service Unavailable, such as HTTP 503."
        TrackSnapshot track = Live();
        PlaylistDecision blocked = Decide(track, "3", "2");

        Assert.Equal(PlaylistAction.ServiceUnavailable, BlockingPlaylistReload.Recheck(track, blocked, TimeSpan.FromSeconds(heldSeconds)).Action);
        Assert.Equal(PlaylistAction.ServiceUnavailable, BlockingPlaylistReload.Recheck(null, blocked, TimeSpan.FromSeconds(heldSeconds)).Action);
    }

    [Fact]
    public void Recheck_RenditionGone_BlocksUntilTheLimit()
    {
        PlaylistDecision blocked = Decide(Live(), "4");

        Assert.Equal(PlaylistAction.Block, BlockingPlaylistReload.Recheck(null, blocked, TimeSpan.FromSeconds(1)).Action);
    }

    [Fact]
    public void Recheck_PlaylistEnded_ServesTheWholePlaylist()
    {
        // The EXT-X-ENDLIST makes the server ignore the directives: the wait is over, no delta.
        PlaylistDecision blocked = Decide(Live(), "5", skip: "YES");

        PlaylistDecision decision = BlockingPlaylistReload.Recheck(Video(5.2, end: true), blocked, TimeSpan.FromSeconds(1));

        Assert.Equal(PlaylistAction.Serve, decision.Action);
        Assert.False(decision.Skip);
    }

    [Fact]
    public void Recheck_FinalDecision_ComesBackAsItIs()
    {
        PlaylistDecision serve = Decide(Live());
        PlaylistDecision bad = Decide(Live(), "100");

        Assert.Same(serve, BlockingPlaylistReload.Recheck(null, serve, TimeSpan.FromHours(1)));
        Assert.Same(bad, BlockingPlaylistReload.Recheck(Live(), bad, TimeSpan.Zero));
    }
}
