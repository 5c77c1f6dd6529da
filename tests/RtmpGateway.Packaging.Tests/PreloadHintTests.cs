using RtmpGateway.Packaging.Live;
using RtmpGateway.Packaging.Manifests;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// RFC 8216bis §6.2.6 Providing Preload Hints: part requests over snapshots made by the real
/// packager (2 s segments of four 0.5 s parts, three target durations 6 s).
/// </summary>
public class PreloadHintTests
{
    private static readonly TimeSpan ThreeTargetDurations = TimeSpan.FromSeconds(6);

    /// <summary>5.2 s in: segments 1 and 2 complete, segment 3 growing with parts 3.0 and 3.1; the hint names 3.2.</summary>
    private static TrackSnapshot Live()
    {
        TrackSnapshot track = Video(5.2, end: false);
        Assert.Equal((3L, 1), track.LastPart());
        return track;
    }

    private static TrackSnapshot Video(double seconds, bool end, int gop = 60, PackagingOptions? options = null) =>
        StreamPackagerTests.Feed(seconds, gop: gop, audio: false, end: end, options: options).Output.Find("source")!;

    [Fact]
    public void Decide_HintedPart_IsTheOneThePlaylistHints()
    {
        // The rule and the playlist writer agree on which part is hinted.
        StreamOutput output = StreamPackagerTests.Feed(5.2, audio: false, end: false).Output;
        TrackSnapshot track = output.Find("source")!;
        string playlist = HlsPlaylistWriter.Media(output, track, new PackagingOptions());

        Assert.Contains($"#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{CmafNames.Part("s1", 3, 2)}\"", playlist, StringComparison.Ordinal);
        Assert.Equal(PartAction.Wait, PreloadHint.Decide(track, 3, 2).Action);
    }

    [Theory]
    [InlineData(3L, 0)]
    [InlineData(3L, 1)]
    [InlineData(2L, 3)]
    [InlineData(1L, 0)]
    public void Decide_PartThatExists_ServesItsBytes(long sequence, int index)
    {
        TrackSnapshot track = Live();

        PartDecision decision = PreloadHint.Decide(track, sequence, index);

        Assert.Equal(PartAction.Serve, decision.Action);
        CmafPart expected = track.FindSegment(sequence)!.Parts[index];
        Assert.Same(expected, decision.Part);
        Assert.Equal(index, decision.Part!.Index);
    }

    [Theory]
    [InlineData(3L, 2)]
    [InlineData(4L, 0)]
    public void Decide_NextPartNotMadeYet_Waits(long sequence, int index)
    {
        // "A hinted resource MUST be available for request when its EXT-X-PRELOAD-HINT tag is added
        // to the Playlist": 3.2, or 4.0 should the keyframe cut segment 3 first.
        PartDecision decision = PreloadHint.Decide(Live(), sequence, index);

        Assert.Equal(PartAction.Wait, decision.Action);
        Assert.Equal((sequence, index), (decision.Sequence, decision.Index));
        Assert.Equal(ThreeTargetDurations, decision.Limit);
        Assert.Equal(ThreeTargetDurations, decision.Remaining);
        Assert.Null(decision.Part);
    }

    [Theory]
    [InlineData(3L, 3)]
    [InlineData(4L, 1)]
    [InlineData(5L, 0)]
    [InlineData(2L, 4)]
    [InlineData(2L, 7)]
    [InlineData(0L, 0)]
    public void Decide_PartNeitherMadeNorHinted_IsNotFound(long sequence, int index)
    {
        // "The server SHOULD respond with 'Not Found' (such as HTTP 404) to a request for a resource
        // that it cannot find and that is not specified by an EXT-X-PRELOAD-HINT tag in an active
        // Media Playlist." Segment 2 has parts 0..3, so 2.4 and 2.7 never exist.
        Assert.Equal(PartAction.NotFound, PreloadHint.Decide(Live(), sequence, index).Action);
    }

    [Fact]
    public void Decide_PartOfASegmentNoLongerKept_IsNotFound()
    {
        var options = new PackagingOptions { PlaylistSegments = 3, RetainedSegments = 3 };
        TrackSnapshot track = Video(20.2, end: false, options: options);
        Assert.True(track.Segments[0].Sequence > 1);

        Assert.Equal(PartAction.NotFound, PreloadHint.Decide(track, 1, 0).Action);
        Assert.Equal(PartAction.Serve, PreloadHint.Decide(track, track.Segments[0].Sequence, 0).Action);
    }

    [Fact]
    public void Decide_EndedStream_NextPartIsNotFound_MadeOnesServe()
    {
        // "A Playlist containing an EXT-X-ENDLIST tag MUST NOT contain an EXT-X-PRELOAD-HINT tag":
        // nothing more will be made, nothing is waited for.
        TrackSnapshot ended = Video(5.2, end: true);
        Assert.True(ended.Ended);
        (long lastMsn, int lastPart) = ended.LastPart();

        Assert.Equal(PartAction.NotFound, PreloadHint.Decide(ended, lastMsn, lastPart + 1).Action);
        Assert.Equal(PartAction.NotFound, PreloadHint.Decide(ended, lastMsn + 1, 0).Action);
        Assert.Equal(PartAction.Serve, PreloadHint.Decide(ended, lastMsn, lastPart).Action);
    }

    [Fact]
    public void Decide_BeforeAnyPart_TheFirstPartIsHinted()
    {
        TrackSnapshot early = Video(0.3, end: false);
        Assert.Equal((0L, -1), early.LastPart());

        Assert.Equal(PartAction.Wait, PreloadHint.Decide(early, 1, 0).Action);
        Assert.Equal(PartAction.NotFound, PreloadHint.Decide(early, 1, 1).Action);
    }

    [Fact]
    public void Recheck_PartMade_ServesItFromTheLatestSnapshot()
    {
        PartDecision waiting = PreloadHint.Decide(Live(), 3, 2);
        TrackSnapshot later = Video(5.7, end: false);

        PartDecision decision = PreloadHint.Recheck(later, waiting, TimeSpan.FromSeconds(0.5));

        Assert.Equal(PartAction.Serve, decision.Action);
        Assert.Same(later.FindSegment(3)!.Parts[2], decision.Part);
    }

    [Fact]
    public void Recheck_SegmentCutBeforeTheHintedPart_IsNotFound()
    {
        // "A server MAY choose not to publish previously-hinted resources if the planned
        // segmentation changes [...]. The server SHOULD respond to client requests for those
        // resources with 'Not Found'." With a keyframe every second segment 3 ends after two parts
        // and 4.0 follows: 3.2 is never made.
        PartDecision waiting = PreloadHint.Decide(Live(), 3, 2);
        TrackSnapshot cut = Video(3.7, end: false, gop: 30);
        Assert.Equal(2, cut.FindSegment(3)!.Parts.Count);
        Assert.True(cut.FindSegment(4)!.Parts.Count > 0);

        Assert.Equal(PartAction.NotFound, PreloadHint.Recheck(cut, waiting, TimeSpan.FromSeconds(0.5)).Action);
    }

    [Fact]
    public void Recheck_NotMadeYet_WaitsForWhatIsLeft()
    {
        TrackSnapshot track = Live();
        PartDecision waiting = PreloadHint.Decide(track, 3, 2);

        PartDecision decision = PreloadHint.Recheck(track, waiting, TimeSpan.FromSeconds(2));

        Assert.Equal(PartAction.Wait, decision.Action);
        Assert.Equal(TimeSpan.FromSeconds(4), decision.Remaining);
        Assert.Equal(PartAction.Wait, PreloadHint.Recheck(null, waiting, TimeSpan.FromSeconds(2)).Action);
    }

    [Theory]
    [InlineData(6.0)]
    [InlineData(30)]
    public void Recheck_NotMadeWithinThreeTargetDurations_IsNotFound(double heldSeconds)
    {
        // The hint is stale by then: no active playlist names the part any more.
        TrackSnapshot track = Live();
        PartDecision waiting = PreloadHint.Decide(track, 3, 2);

        Assert.Equal(PartAction.NotFound, PreloadHint.Recheck(track, waiting, TimeSpan.FromSeconds(heldSeconds)).Action);
        Assert.Equal(PartAction.NotFound, PreloadHint.Recheck(null, waiting, TimeSpan.FromSeconds(heldSeconds)).Action);
    }

    [Fact]
    public void Recheck_StreamEndedWithoutThePart_IsNotFound()
    {
        PartDecision waiting = PreloadHint.Decide(Live(), 4, 0);
        TrackSnapshot ended = Video(5.2, end: true);
        Assert.Null(ended.FindSegment(4));

        Assert.Equal(PartAction.NotFound, PreloadHint.Recheck(ended, waiting, TimeSpan.FromSeconds(1)).Action);
    }

    [Fact]
    public void Recheck_FinalDecision_ComesBackAsItIs()
    {
        PartDecision served = PreloadHint.Decide(Live(), 3, 0);

        Assert.Same(served, PreloadHint.Recheck(null, served, TimeSpan.FromHours(1)));
        PartDecision notFound = PreloadHint.Decide(Live(), 5, 0);
        Assert.Same(notFound, PreloadHint.Recheck(Live(), notFound, TimeSpan.Zero));
    }
}
