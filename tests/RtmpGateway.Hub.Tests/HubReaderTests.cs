using System.Diagnostics;
using RtmpGateway.Media;

namespace RtmpGateway.Hub.Tests;

public sealed class HubReaderTests
{
    internal static void Eventually(Func<bool> condition, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), describe());
            Thread.Sleep(5);
        }
    }

    [Fact]
    public void Reader_AddedBeforeFrames_GetsPublishTrackAndFramesInOrder_SharingTheIngestBuffer()
    {
        var hub = new StreamHub(TimeProvider.System);
        var reader = new RecordingReader();
        hub.Notified += n =>
        {
            if (n.Kind == HubNotificationKind.Published)
            {
                n.Stream.AddReader(reader);
            }
        };
        StreamPublisher publisher = Media.Publish(hub);
        MediaBuffer first = Media.WriteVideo(publisher, 0);
        Media.WriteVideo(publisher, 1);

        Eventually(() => reader.Frames.Count == 2, () => $"{reader.Frames.Count} frames");
        Assert.Equal(["published 1", "track source", "frame source 0 K", "frame source 3000"], reader.Events);

        // No copy per reader: the frame's payload is the ingest's pooled buffer itself.
        HubFrame delivered = reader.Frames.First();
        Assert.Same(first, delivered.Buffer);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(delivered.Unit.Payload, out ArraySegment<byte> a));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(first.Memory, out ArraySegment<byte> b));
        Assert.Same(a.Array, b.Array);
    }

    [Fact]
    public void Buffers_AfterEveryReaderIsDoneAndTheStreamEnded_AreAllReturned()
    {
        var hub = new StreamHub(TimeProvider.System);
        var readers = new[] { new RecordingReader(), new RecordingReader(inline: true) };
        StreamPublisher publisher = Media.Publish(hub);
        foreach (RecordingReader r in readers)
        {
            Assert.True(publisher.Stream.AddReader(r, fromLatestKeyframe: true));
        }

        var buffers = Enumerable.Range(0, 90).Select(i => Media.WriteVideo(publisher, i)).ToList();
        publisher.End(HubEndReason.Unpublished);
        foreach (RecordingReader r in readers)
        {
            HubReaderTests.Eventually(() => r.EndedTask.IsCompleted, () => "not ended");
            Assert.Equal(90, r.Frames.Count);
        }

        // The GOP cache and both queues let go of every frame.
        Assert.All(buffers, b => Assert.Equal(0, b.References));
        Assert.Equal(HubStreamState.Ended, publisher.Stream.State);
    }

    [Fact]
    public void StalledReader_PublisherWritesOn_OthersGetEverything_StalledOneDropsToTheNextKeyframeAndCountsIt()
    {
        var hub = new StreamHub(TimeProvider.System);
        StreamPublisher publisher = Media.Publish(hub);
        var stalled = new StalledReader(new HubReaderLimits { MaxQueuedFrames = 50 });
        var healthy = new RecordingReader();
        var inline = new RecordingReader(inline: true);
        publisher.Stream.AddReader(stalled);
        publisher.Stream.AddReader(healthy);
        publisher.Stream.AddReader(inline);

        Media.WriteVideo(publisher, 0);
        Assert.True(stalled.Entered.Wait(TimeSpan.FromSeconds(10)), "the stalled reader never got its first frame");

        // 300 frames more while it sleeps in the first: the publisher never waits for it.
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= 300; i++)
        {
            Media.WriteVideo(publisher, i);
        }

        Assert.False(stalled.Gate.IsSet);
        Eventually(() => healthy.Frames.Count == 301, () => $"healthy reader has {healthy.Frames.Count} of 301");
        Assert.Equal(301, inline.Frames.Count);
        Assert.True(stalled.QueuedFrames <= 50, $"{stalled.QueuedFrames} queued past the limit of 50");
        Assert.True(stalled.DroppedFrames > 200, $"{stalled.DroppedFrames} dropped");
        Assert.True(stalled.DropEvents >= 1);

        stalled.Gate.Set();
        Media.WriteVideo(publisher, 301);
        Eventually(() => stalled.QueuedFrames == 0 && stalled.Frames.Count > 1, () => $"{stalled.QueuedFrames} still queued");

        // After the drop the next frame it gets is a keyframe, and every frame is accounted for.
        HubFrame[] got = [.. stalled.Frames];
        Assert.True(got[1].IsKeyframe, $"resumed at {got[1].Unit.Dts}, not at a keyframe");
        Assert.Equal(302, got.Length + stalled.DroppedFrames);
        Assert.True(got.Skip(1).Zip(got.Skip(2)).All(p => p.First.Unit.Dts < p.Second.Unit.Dts));
    }

    [Fact]
    public void InlineReader_NothingQueued_RunsOnTheProducersThread()
    {
        var hub = new StreamHub(TimeProvider.System);
        StreamPublisher publisher = Media.Publish(hub);
        var inline = new RecordingReader(inline: true);
        publisher.Stream.AddReader(inline);
        Eventually(() => inline.Events.Contains("track source"), () => "the join's replay was not delivered");

        Media.WriteVideo(publisher, 0);
        Media.WriteVideo(publisher, 1);

        Assert.Equal([Environment.CurrentManagedThreadId, Environment.CurrentManagedThreadId], inline.Threads);
    }

    [Fact]
    public void FaultingReader_Throws_IsClosedAndTheStreamAndOtherReadersGoOn()
    {
        var hub = new StreamHub(TimeProvider.System);
        StreamPublisher publisher = Media.Publish(hub);
        var faulting = new ThrowingReader();
        var healthy = new RecordingReader();
        publisher.Stream.AddReader(faulting);
        publisher.Stream.AddReader(healthy);

        for (int i = 0; i < 10; i++)
        {
            Media.WriteVideo(publisher, i);
        }

        Eventually(() => healthy.Frames.Count == 10, () => $"{healthy.Frames.Count} of 10");
        Eventually(() => faulting.Fault is not null && !publisher.Stream.Readers.Contains(faulting), () => "the faulting reader is still attached");
        Assert.Equal("bad frame", faulting.Fault!.Message);
        Assert.Equal(HubStreamState.Live, publisher.Stream.State);
    }

    [Fact]
    public void JoiningReader_FromLatestKeyframe_GetsTracksMetadataAndTheGopThenLiveFrames()
    {
        var hub = new StreamHub(TimeProvider.System);
        StreamPublisher publisher = Media.Publish(hub);
        publisher.SetMetadata(new HubMetadata(StreamMetadata.FromProperties([]), new byte[] { 2, 0, 0 }));
        for (int i = 0; i < 35; i++)
        {
            Media.WriteVideo(publisher, i, gop: 30);
        }

        var late = new RecordingReader();
        publisher.Stream.AddReader(late, fromLatestKeyframe: true);
        Media.WriteVideo(publisher, 35);

        Eventually(() => late.Frames.Count == 6, () => $"{late.Frames.Count} of 6");
        Assert.Equal(["published 1", "track source", "metadata", "frame source 90000 K", "frame source 93000", "frame source 96000",
            "frame source 99000", "frame source 102000", "frame source 105000"], late.Events);
    }

    [Fact]
    public void GopCache_GopLargerThanTheLimit_NotReplayed()
    {
        var hub = new StreamHub(TimeProvider.System, new HubOptions { MaxGopBytes = 5000 });
        StreamPublisher publisher = Media.Publish(hub);
        for (int i = 0; i < 10; i++)
        {
            Media.WriteVideo(publisher, i, gop: 30, size: 1000);
        }

        var late = new RecordingReader();
        publisher.Stream.AddReader(late, fromLatestKeyframe: true);
        Media.WriteVideo(publisher, 10);
        Eventually(() => late.Frames.Count == 1, () => $"{late.Frames.Count} frames");
        Assert.Equal("frame source 30000", late.Events.Last());
    }

    private sealed class ThrowingReader() : HubReader("throwing")
    {
        public Exception? Fault { get; private set; }

        protected override void OnTrack(HubTrack track)
        {
        }

        protected override void OnFrame(HubFrame frame) => throw new InvalidOperationException("bad frame");

        protected override void OnFaulted(Exception exception) => Fault = exception;
    }
}
