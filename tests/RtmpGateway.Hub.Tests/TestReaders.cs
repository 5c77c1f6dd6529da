using System.Collections.Concurrent;
using RtmpGateway.Media;

namespace RtmpGateway.Hub.Tests;

/// <summary>What a reader saw, in order, as text: "track source", "frame source 3000 K", "published 1", ...</summary>
internal class RecordingReader(string kind = "test", HubReaderLimits? limits = null, bool inline = false) : HubReader(kind, limits)
{
    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentQueue<HubFrame> _frames = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<string> Events => _events;

    public IReadOnlyCollection<HubFrame> Frames => _frames;

    public ConcurrentQueue<int> Threads { get; } = new();

    public Task EndedTask => _ended.Task;

    public Func<HubFrame, bool>? Filter { get; init; }

    protected override bool RunsInline => inline;

    protected override void OnTrack(HubTrack track) => _events.Enqueue("track " + track.Rendition);

    protected override void OnFrame(HubFrame frame)
    {
        Threads.Enqueue(Environment.CurrentManagedThreadId);
        BeforeFrame(frame);
        _frames.Enqueue(frame);
        _events.Enqueue($"frame {frame.Rendition} {frame.Unit.Dts}{(frame.IsKeyframe && frame.IsVideo ? " K" : "")}");
    }

    protected virtual void BeforeFrame(HubFrame frame)
    {
    }

    protected override void OnMetadata(HubMetadata metadata) => _events.Enqueue("metadata");

    protected override void OnPublished(int publish) => _events.Enqueue("published " + publish);

    protected override void OnPublishEnded(int publish, HubEndReason reason) => _events.Enqueue($"publish ended {publish} {reason}");

    protected override void OnInterrupted() => _events.Enqueue("interrupted");

    protected override void OnEnded()
    {
        _events.Enqueue("ended");
        _ended.TrySetResult();
    }
}

/// <summary>A reader that stops in its first frame until released: the stalled reader of the isolation tests.</summary>
internal sealed class StalledReader(HubReaderLimits limits) : RecordingReader("stalled", limits)
{
    public ManualResetEventSlim Gate { get; } = new(false);

    public ManualResetEventSlim Entered { get; } = new(false);

    protected override void BeforeFrame(HubFrame frame)
    {
        Entered.Set();
        Gate.Wait(TimeSpan.FromSeconds(30));
    }
}

/// <summary>Frames as an ingest makes them: a 30 fps video track with a keyframe every <c>gop</c> frames.</summary>
internal static class Media
{
    // avcC of an ffmpeg/x264 1280x720 High@3.1 30 fps stream (ffprobe -show_data of its extradata).
    public static readonly CodecConfig VideoConfig = CodecConfig.FromAvcRecord(Convert.FromHexString(
        "0164001fffe1001a6764001facd9405005bb0110000003001000000303c0f183196001000468ef8fcbfdf8f800"));

    // AudioSpecificConfig 0x12 0x10: AAC LC, 44100 Hz, stereo.
    public static readonly CodecConfig AudioConfig = CodecConfig.FromAudioSpecificConfig([0x12, 0x10]);

    public static readonly HubTrack Video = new(HubTrack.Source, VideoConfig);

    public static readonly HubTrack Audio = new(HubTrack.Audio, AudioConfig);

    public static readonly DateTimeOffset Wall = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Writes video frame <paramref name="index"/> (3000 ticks apart) in a pooled buffer the test gives back at once, as the ingest does.</summary>
    public static MediaBuffer WriteVideo(StreamPublisher publisher, int index, int gop = 30, int size = 1000, long baseDts = 0, DateTimeOffset? at = null)
    {
        var buffer = MediaBuffer.CopyOf(new byte[size]);
        long dts = baseDts + (index * 3000L);
        publisher.Write(Video, new AccessUnit(VideoConfig, dts, dts, index % gop == 0, buffer.Memory), at ?? Wall.AddSeconds(index / 30.0), buffer, buffer.Memory);
        buffer.Release();
        return buffer;
    }

    public static void WriteAudio(StreamPublisher publisher, long dts, DateTimeOffset at)
    {
        var buffer = MediaBuffer.CopyOf(new byte[10]);
        publisher.Write(Audio, new AccessUnit(AudioConfig, dts, dts, true, buffer.Memory), at, buffer, buffer.Memory);
        buffer.Release();
    }

    public static StreamPublisher Publish(StreamHub hub, string name = "main")
    {
        Assert.True(hub.TryPublish("live", name, "c1", out StreamPublisher? publisher, out _, out PublishRefusal refusal), refusal.ToString());
        publisher!.SetTrack(Video);
        return publisher;
    }
}
