using Microsoft.Extensions.Time.Testing;
using RtmpGateway.Media;

namespace RtmpGateway.Hub.Tests;

public sealed class StreamLifeCycleTests
{
    private readonly FakeTimeProvider _time = new(Media.Wall);
    private readonly List<string> _notifications = [];

    private StreamHub NewHub(HubOptions? options = null)
    {
        var hub = new StreamHub(_time, options);
        hub.Notified += n =>
        {
            lock (_notifications)
            {
                _notifications.Add($"{n.Kind} {n.Publish}");
            }
        };
        return hub;
    }

    private string[] Notifications()
    {
        lock (_notifications)
        {
            return [.. _notifications];
        }
    }

    [Fact]
    public void TryPublish_NameWithAPublisher_RefusedAndTheLiveOneKeepsItsName()
    {
        StreamHub hub = NewHub();
        StreamPublisher first = Media.Publish(hub);

        Assert.False(hub.TryPublish("live", "main", "c2", out StreamPublisher? second, out HubStream? existing, out PublishRefusal refusal));
        Assert.Null(second);
        Assert.Equal(PublishRefusal.NameInUse, refusal);
        Assert.Same(first.Stream, existing);
        Assert.Same(first.Stream, hub.Find("live", "main"));
    }

    [Fact]
    public void TryPublish_MaxStreamsHavePublishers_RefusedUntilOneEnds()
    {
        StreamHub hub = NewHub(new HubOptions { MaxStreams = 1 });
        StreamPublisher one = Media.Publish(hub, "one");

        Assert.False(hub.TryPublish("live", "two", "c2", out _, out _, out PublishRefusal refusal));
        Assert.Equal(PublishRefusal.TooManyStreams, refusal);

        one.End(HubEndReason.Unpublished);
        Assert.True(hub.TryPublish("live", "two", "c2", out _, out _, out _));
    }

    [Fact]
    public void Unpublish_EndsTheStreamAtOnce_ReadersGetPublishEndedThenEnded()
    {
        StreamHub hub = NewHub();
        StreamPublisher publisher = Media.Publish(hub);
        var reader = new RecordingReader();
        publisher.Stream.AddReader(reader);

        publisher.End(HubEndReason.Unpublished);

        HubReaderTests.Eventually(() => reader.EndedTask.IsCompleted, () => "not ended");
        Assert.Equal(["published 1", "track source", "publish ended 1 Unpublished", "ended"], reader.Events);
        Assert.Equal(HubStreamState.Ended, publisher.Stream.State);
        Assert.Null(hub.Find("live", "main"));
        HubReaderTests.Eventually(() => Notifications().Contains("Ended 1"), () => string.Join(", ", Notifications()));
    }

    [Fact]
    public void ConnectionLost_NoPublisherWithinTheGrace_InterruptedThenEnded()
    {
        StreamHub hub = NewHub(new HubOptions { ReconnectGrace = TimeSpan.FromSeconds(15) });
        StreamPublisher publisher = Media.Publish(hub);
        var reader = new RecordingReader();
        publisher.Stream.AddReader(reader);

        publisher.End(HubEndReason.ConnectionLost);
        HubReaderTests.Eventually(() => reader.Events.Contains("interrupted"), () => string.Join(", ", reader.Events));
        Assert.Equal(HubStreamState.Interrupted, publisher.Stream.State);
        Assert.Null(hub.Find("live", "main"));

        _time.Advance(TimeSpan.FromSeconds(14));
        Assert.Equal(HubStreamState.Interrupted, publisher.Stream.State);
        _time.Advance(TimeSpan.FromSeconds(2));
        HubReaderTests.Eventually(() => reader.EndedTask.IsCompleted, () => "not ended");
        Assert.Equal(HubStreamState.Ended, publisher.Stream.State);
        HubReaderTests.Eventually(() => Notifications().SequenceEqual(["Published 1", "TrackChanged 1", "Interrupted 1", "Ended 1"]), () => string.Join(", ", Notifications()));
    }

    [Fact]
    public void Resume_WithinTheGrace_SameStreamNextPublish_TimelineContinuesAtTheWallClock()
    {
        StreamHub hub = NewHub();
        StreamPublisher first = Media.Publish(hub);
        var reader = new RecordingReader();
        first.Stream.AddReader(reader);
        for (int i = 0; i < 60; i++)
        {
            Media.WriteVideo(first, i, at: Media.Wall.AddSeconds(i / 30.0));
        }

        first.End(HubEndReason.ConnectionLost);
        HubReaderTests.Eventually(() => reader.Events.Contains("interrupted"), () => string.Join(", ", reader.Events));

        // Back 10 s after the first publish began, its own timestamps starting at 0 again.
        Assert.True(hub.TryPublish("live", "main", "c2", out StreamPublisher? second, out _, out _));
        Assert.Same(first.Stream, second!.Stream);
        Assert.Equal(2, second.Number);
        Media.WriteVideo(second, 0, at: Media.Wall.AddSeconds(10));
        Media.WriteVideo(second, 1, at: Media.Wall.AddSeconds(10 + (1 / 30.0)));

        HubReaderTests.Eventually(() => reader.Frames.Count == 62, () => $"{reader.Frames.Count} frames");
        HubFrame[] resumed = [.. reader.Frames.Skip(60)];
        Assert.Equal(900_000, resumed[0].Unit.Dts);
        Assert.Equal(903_000, resumed[1].Unit.Dts);
        Assert.All(resumed, f => Assert.Equal(2, f.Publish));
        Assert.Contains("published 2", reader.Events);
    }

    [Fact]
    public void Resume_WallClockBeforeTheOldEnd_LandsResumeGapAfterIt()
    {
        StreamHub hub = NewHub();
        StreamPublisher first = Media.Publish(hub);
        var reader = new RecordingReader();
        first.Stream.AddReader(reader);

        // The old timeline ran 2 s ahead of the wall clock (the encoder sent faster than real time).
        for (int i = 0; i < 90; i++)
        {
            Media.WriteVideo(first, i, at: Media.Wall.AddSeconds(i / 90.0));
        }

        first.End(HubEndReason.ConnectionLost);
        Assert.True(hub.TryPublish("live", "main", "c2", out StreamPublisher? second, out _, out _));
        Media.WriteVideo(second!, 0, at: Media.Wall.AddSeconds(1.5));

        HubReaderTests.Eventually(() => reader.Frames.Count == 91, () => $"{reader.Frames.Count} frames");

        // Old end: the last DTS (89 x 3000) plus one frame; then the gap of 0.5 s (45000 ticks).
        Assert.Equal((90 * 3000) + 45_000, reader.Frames.Last().Unit.Dts);
    }

    [Fact]
    public void DerivedTracks_PublishEnds_InterruptionWaitsForTheirLastFrames()
    {
        StreamHub hub = NewHub();
        StreamPublisher publisher = Media.Publish(hub);
        var reader = new RecordingReader();
        publisher.Stream.AddReader(reader);
        var rung = new HubTrack("360p", Media.VideoConfig);
        DerivedWriter ladder = publisher.OpenDerived();
        ladder.SetTrack(rung);

        publisher.End(HubEndReason.ConnectionLost);
        ladder.Write(rung, new AccessUnit(Media.VideoConfig, 0, 0, true, new byte[4]), Media.Wall);
        ladder.Dispose();

        // What the rung delivered after its publisher left still comes before the interruption.
        HubReaderTests.Eventually(() => reader.Events.Contains("interrupted"), () => string.Join(", ", reader.Events));
        Assert.Equal(["published 1", "track source", "track 360p", "publish ended 1 ConnectionLost", "frame 360p 0 K", "interrupted"], reader.Events);

        // And nothing of it after.
        ladder.Write(rung, new AccessUnit(Media.VideoConfig, 3000, 3000, false, new byte[4]), Media.Wall);
        Assert.Single(reader.Frames);
    }

    [Fact]
    public void DerivedTracks_NeverClosed_InterruptedAfterTheFlushTimeout()
    {
        StreamHub hub = NewHub(new HubOptions { DerivedFlushTimeout = TimeSpan.FromSeconds(10) });
        StreamPublisher publisher = Media.Publish(hub);
        var reader = new RecordingReader();
        publisher.Stream.AddReader(reader);
        _ = publisher.OpenDerived();

        publisher.End(HubEndReason.ConnectionLost);
        Thread.Sleep(50);
        Assert.DoesNotContain("interrupted", reader.Events);

        _time.Advance(TimeSpan.FromSeconds(11));
        HubReaderTests.Eventually(() => reader.Events.Contains("interrupted"), () => string.Join(", ", reader.Events));
    }

    [Fact]
    public void EndAll_LiveAndInterruptedStreams_AllEndAtOnce()
    {
        StreamHub hub = NewHub();
        StreamPublisher live = Media.Publish(hub, "a");
        StreamPublisher dropped = Media.Publish(hub, "b");
        _ = live.OpenDerived();
        dropped.End(HubEndReason.ConnectionLost);

        hub.EndAll();

        Assert.Equal(HubStreamState.Ended, live.Stream.State);
        Assert.Equal(HubStreamState.Ended, dropped.Stream.State);
        Assert.Equal(HubEndReason.Shutdown, live.Stream.EndReason);
        Assert.Empty(hub.AllStreams);
    }

    [Fact]
    public void SetTrack_SameRecordAgain_NoTrackChange()
    {
        StreamHub hub = NewHub();
        StreamPublisher publisher = Media.Publish(hub);
        var reader = new RecordingReader();
        publisher.Stream.AddReader(reader);

        publisher.SetTrack(Media.Video);
        publisher.SetTrack(Media.Audio);

        HubReaderTests.Eventually(() => reader.Events.Contains("track audio"), () => string.Join(", ", reader.Events));
        Assert.Equal(["published 1", "track source", "track audio"], reader.Events);
        Assert.Equal(["Published 1", "TrackChanged 1", "TrackChanged 1"], Notifications());
    }

    [Fact]
    public void DerivedTracks_OneProducerStopsMidPublish_AnotherOneOfTheSamePublishIsStillRead()
    {
        StreamHub hub = NewHub();
        StreamPublisher publisher = Media.Publish(hub);
        var reader = new RecordingReader();
        publisher.Stream.AddReader(reader);
        var rung = new HubTrack("360p", Media.VideoConfig);
        publisher.OpenDerived().Dispose();

        using DerivedWriter again = publisher.OpenDerived();
        again.SetTrack(rung);
        again.Write(rung, new AccessUnit(Media.VideoConfig, 0, 0, true, new byte[4]), Media.Wall);

        HubReaderTests.Eventually(() => reader.Frames.Count == 1, () => string.Join(", ", reader.Events));
        Assert.Equal(HubStreamState.Live, publisher.Stream.State);
    }
}
