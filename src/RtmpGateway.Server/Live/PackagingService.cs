using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Server.Streams;

namespace RtmpGateway.Server.Live;

/// <summary>
/// Packages every published stream into CMAF as it arrives, and keeps each stream's output (live,
/// or ended for <see cref="PackagingOptions.EndedRetention"/>) for the HTTP endpoints.
/// </summary>
internal sealed partial class PackagingService : IDisposable
{
    private readonly ConcurrentDictionary<string, StreamOutput> _outputs = new(StringComparer.Ordinal);
    private readonly PackagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PackagingService> _logger;
    private readonly StreamRegistry _registry;
    private readonly CancellationTokenSource _stopping = new();

    public PackagingService(StreamRegistry registry, IOptions<PackagingOptions> options, TimeProvider time, ILogger<PackagingService> logger)
    {
        _registry = registry;
        _options = options.Value;
        _time = time;
        _logger = logger;
        registry.Published += OnPublished;
    }

    public PackagingOptions Options => _options;

    public StreamOutput? Find(string app, string name) => _outputs.TryGetValue(StreamRegistry.KeyOf(app, name), out StreamOutput? o) ? o : null;

    private void OnPublished(LiveStream stream)
    {
        string session = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var output = new StreamOutput(stream.App, stream.Name, session, _time.GetUtcNow());
        var packager = new StreamPackager(output, _options);
        packager.ForcedCut += (o, reason, sequence) => LogForcedCut(_logger, o.App + "/" + o.Name, reason, sequence, _options.MaxSegmentDuration.TotalSeconds);
        _outputs[stream.Key] = output;
        stream.Subscribe(new Subscriber(this, packager));
    }

    private void OnEnded(StreamPackager packager)
    {
        StreamOutput output = packager.Output;
        packager.End(_time.GetUtcNow());
        string key = StreamRegistry.KeyOf(output.App, output.Name);
        _ = RemoveLaterAsync(key, output);
    }

    private async Task RemoveLaterAsync(string key, StreamOutput output)
    {
        try
        {
            await Task.Delay(_options.EndedRetention, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Only this publish's output: a new publish of the same name has replaced it already.
        _outputs.TryRemove(new KeyValuePair<string, StreamOutput>(key, output));
    }

    public void Dispose()
    {
        _registry.Published -= OnPublished;
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(2001, LogLevel.Warning, "Stream {Stream}: no keyframe within {MaxSeconds} s, segment {Sequence} cut without one ({Reason})")]
    private static partial void LogForcedCut(ILogger logger, string stream, ForcedCutReason reason, long sequence, double maxSeconds);

    /// <summary>Feeds one stream's packager from the publisher's thread.</summary>
    private sealed class Subscriber(PackagingService service, StreamPackager packager) : IStreamSubscriber
    {
        public void OnCodecConfig(LiveStream stream, CodecConfig config) => packager.OnCodecConfig(config);

        public void OnAccessUnit(LiveStream stream, in AccessUnit unit) => packager.OnAccessUnit(unit, service._time.GetUtcNow());

        public void OnMetadata(LiveStream stream, StreamMetadata metadata)
        {
        }

        public void OnEnded(LiveStream stream) => service.OnEnded(packager);
    }
}
