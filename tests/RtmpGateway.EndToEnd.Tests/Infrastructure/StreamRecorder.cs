using System.Collections.Concurrent;
using RtmpGateway.Media;
using RtmpGateway.Server.Streams;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>A later stage as the packager will be one: subscribes to a live stream and records what arrives.</summary>
public sealed class StreamRecorder : IStreamSubscriber
{
    private readonly ConcurrentQueue<AccessUnit> _units = new();
    private readonly ConcurrentQueue<CodecConfig> _configs = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<AccessUnit> Units => _units;

    public IReadOnlyCollection<CodecConfig> Configs => _configs;

    public StreamMetadata? Metadata { get; private set; }

    public Task Ended => _ended.Task;

    /// <summary>Subscribes to every stream with this name as soon as it is published.</summary>
    public static StreamRecorder AttachOnPublish(StreamRegistry registry, string app, string name)
    {
        var recorder = new StreamRecorder();
        registry.Published += s =>
        {
            if (s.App == app && s.Name == name)
            {
                s.Subscribe(recorder);
            }
        };
        return recorder;
    }

    public void OnCodecConfig(LiveStream stream, CodecConfig config) => _configs.Enqueue(config);

    public void OnAccessUnit(LiveStream stream, in AccessUnit unit) => _units.Enqueue(unit with { Payload = unit.Payload.ToArray() });

    public void OnMetadata(LiveStream stream, StreamMetadata metadata) => Metadata = metadata;

    public void OnEnded(LiveStream stream) => _ended.TrySetResult();
}
