using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Server.Streams;
using RtmpGateway.Transcoding;
using RtmpGateway.Transcoding.Ladder;

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
    private readonly TranscodingOptions _transcoding;
    private readonly ConcurrentDictionary<string, LadderPreset> _presets = new(StringComparer.Ordinal);
    private int _ffmpegMissingLogged;
    private int _ffmpegLogAttached;
    private readonly ILoggerFactory _loggerFactory;

    public PackagingService(StreamRegistry registry, IOptions<PackagingOptions> options, IOptions<TranscodingOptions> transcoding, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        ILogger<PackagingService> logger = loggerFactory.CreateLogger<PackagingService>();
        _registry = registry;
        _options = options.Value;
        _transcoding = transcoding.Value;
        _time = time;
        _logger = logger;

        // Fail at start, naming the key, rather than at the first publish.
        Preset(_transcoding.Preset);
        registry.Published += OnPublished;
    }

    private LadderPreset Preset(string name)
    {
        try
        {
            return _presets.GetOrAdd(name, n => LadderPresetLoader.Load(_transcoding.ResolveDirectory(), n));
        }
        catch (Exception ex) when (ex is LadderPresetException or IOException)
        {
            throw new InvalidOperationException($"Transcoding:Preset '{name}': {ex.Message}", ex);
        }
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
        stream.Subscribe(new Subscriber(this, packager, _transcoding.PresetFor(stream.App, stream.Name)));
    }

    /// <summary>The ladder for a stream's video, or null for passthrough (preset, size, or FFmpeg missing).</summary>
    private LadderTranscoder? StartLadder(StreamPackager packager, string presetName, CodecConfig video)
    {
        string stream = packager.Output.App + "/" + packager.Output.Name;
        LadderPreset preset;
        try
        {
            preset = Preset(presetName);
        }
        catch (InvalidOperationException ex)
        {
            LogPresetUnusable(_logger, stream, ex.Message);
            return null;
        }

        IReadOnlyList<LadderRung> rungs = preset.RungsFor(video.Width, video.Height);
        if (video.Codec != MediaCodec.H264 || rungs.Count == 0)
        {
            return null;
        }

        LadderTranscoder? ladder = LadderTranscoder.TryCreate(video, rungs, video.FrameRate ?? 30, new RungSink(this, packager, stream), null, out string status);
        if (ladder is null)
        {
            if (Interlocked.Exchange(ref _ffmpegMissingLogged, 1) == 0)
            {
                LogFfmpegMissing(_logger, status);
            }

            return null;
        }

        if (Interlocked.Exchange(ref _ffmpegLogAttached, 1) == 0)
        {
            // FFmpeg's own log (libx264's banners included) goes through Serilog, at the level configured for "FFmpeg".
            FFmpegRuntime.AttachLogger(_loggerFactory.CreateLogger("FFmpeg"));
        }

        LogLadderStarted(_logger, stream, preset.Name, string.Join(", ", rungs.Select(r => $"{r.Name} {r.Width}x{r.Height}")));
        return ladder;
    }

    private void OnEnded(StreamPackager packager, LadderTranscoder? ladder)
    {
        StreamOutput output = packager.Output;
        string key = StreamRegistry.KeyOf(output.App, output.Name);
        if (ladder is null)
        {
            packager.End(_time.GetUtcNow());
            _ = RemoveLaterAsync(key, output);
            return;
        }

        // The rungs run behind the source: let them flush their last frames, then end everything.
        _ = Task.Run(async () =>
        {
            try
            {
                await ladder.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            finally
            {
                ladder.Dispose();
                packager.End(_time.GetUtcNow());
                _ = RemoveLaterAsync(key, output);
            }
        });
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

    [LoggerMessage(2002, LogLevel.Information, "Stream {Stream}: ladder {Preset} with {Rungs}")]
    private static partial void LogLadderStarted(ILogger logger, string stream, string preset, string rungs);

    [LoggerMessage(2003, LogLevel.Warning, "FFmpeg libraries unavailable, every stream is served as its source only: {Status}")]
    private static partial void LogFfmpegMissing(ILogger logger, string status);

    [LoggerMessage(2004, LogLevel.Warning, "Stream {Stream}: rung {Rung} lost frames: {Reason}")]
    private static partial void LogRungDropped(ILogger logger, string stream, string rung, string reason);

    [LoggerMessage(2005, LogLevel.Warning, "Stream {Stream}: served as its source only: {Reason}")]
    private static partial void LogPresetUnusable(ILogger logger, string stream, string reason);

    /// <summary>Feeds one stream's packager (and its ladder) from the publisher's thread.</summary>
    private sealed class Subscriber(PackagingService service, StreamPackager packager, string preset) : IStreamSubscriber
    {
        private LadderTranscoder? _ladder;
        private bool _ladderDecided;

        public void OnCodecConfig(LiveStream stream, CodecConfig config)
        {
            packager.OnCodecConfig(config);
            if (config.Kind == MediaKind.Video && !_ladderDecided)
            {
                _ladderDecided = true;
                _ladder = service.StartLadder(packager, preset, config);
            }
        }

        public void OnAccessUnit(LiveStream stream, in AccessUnit unit)
        {
            packager.OnAccessUnit(unit, service._time.GetUtcNow());
            if (unit.Kind == MediaKind.Video && _ladder is not null)
            {
                _ladder.Push(unit);
            }
        }

        public void OnMetadata(LiveStream stream, StreamMetadata metadata)
        {
        }

        public void OnEnded(LiveStream stream) => service.OnEnded(packager, _ladder);
    }

    /// <summary>The ladder's output into the packager; calls come from the transcoder's threads.</summary>
    private sealed class RungSink(PackagingService service, StreamPackager packager, string stream) : ILadderSink
    {
        public void OnRungConfig(string rung, CodecConfig config) => packager.OnRungConfig(rung, config);

        public void OnRungAccessUnit(string rung, in AccessUnit unit) => packager.OnRungAccessUnit(rung, unit, service._time.GetUtcNow());

        public void OnDropped(string rung, string reason) => LogRungDropped(service._logger, stream, rung, reason);
    }
}
