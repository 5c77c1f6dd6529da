using System.Collections.Concurrent;
using RtmpGateway.Hub;
using RtmpGateway.Media;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>A hub reader as the packager is one: records the ingest's tracks and frames of one publish.</summary>
public sealed class StreamRecorder() : HubReader("test")
{
    private readonly ConcurrentQueue<AccessUnit> _units = new();
    private readonly ConcurrentQueue<CodecConfig> _configs = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<AccessUnit> Units => _units;

    public IReadOnlyCollection<CodecConfig> Configs => _configs;

    public StreamMetadata? Metadata { get; private set; }

    /// <summary>Completes when the recorded publish ended.</summary>
    public Task Ended => _ended.Task;

    /// <summary>Reads the first publish of a stream with this name, added as soon as it is published.</summary>
    public static StreamRecorder AttachOnPublish(StreamHub hub, string app, string name)
    {
        ArgumentNullException.ThrowIfNull(hub);
        var recorder = new StreamRecorder();
        hub.Notified += n =>
        {
            if (n.Kind == HubNotificationKind.Published && n.Stream.App == app && n.Stream.Name == name)
            {
                n.Stream.AddReader(recorder);
            }
        };
        return recorder;
    }

    public override bool Reads(HubTrack track) => track.IsIngest;

    protected override void OnTrack(HubTrack track) => _configs.Enqueue(track.Config);

    protected override void OnFrame(HubFrame frame) => _units.Enqueue(frame.Unit with { Payload = frame.Unit.Payload.ToArray() });

    protected override void OnMetadata(HubMetadata metadata) => Metadata = metadata.Metadata;

    protected override void OnPublishEnded(int publish, HubEndReason reason) => _ended.TrySetResult();

    protected override void OnEnded() => _ended.TrySetResult();
}
