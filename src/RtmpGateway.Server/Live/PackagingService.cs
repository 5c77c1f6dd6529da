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
/// <para>An output outlives a publisher whose connection dropped: for <see cref="PackagingOptions.ReconnectGrace"/>
/// it stays live, and a publish to the same name continues it (<see cref="StreamPackager.Resume"/>);
/// after that it ends. A publisher that unpublishes ends it at once, and so does the gateway's
/// shutdown, for every stream, before the HTTP server drains its requests.</para>
/// </summary>
internal sealed partial class PackagingService : IDisposable
{
    private readonly ConcurrentDictionary<string, OutputEntry> _outputs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationToken _applicationStopping;
    private readonly CancellationTokenRegistration _onStopping;
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

    public PackagingService(
        StreamRegistry registry,
        IOptions<PackagingOptions> options,
        IOptions<TranscodingOptions> transcoding,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime lifetime)
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

        // Before the HTTP server stops: parked blocking reloads and growing segments complete with the end.
        _applicationStopping = lifetime.ApplicationStopping;
        _onStopping = _applicationStopping.Register(EndAll);
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

    /// <summary>
    /// Set before any ApplicationStopping callback runs, so a publisher closed by the RTMP listener's
    /// callback ends its stream rather than starting a grace period, whichever callback runs first.
    /// </summary>
    private bool ShuttingDown => _applicationStopping.IsCancellationRequested;

    public StreamOutput? Find(string app, string name) => _outputs.TryGetValue(StreamRegistry.KeyOf(app, name), out OutputEntry? e) ? e.Output : null;

    private void OnPublished(LiveStream stream)
    {
        Subscriber subscriber;
        DateTimeOffset now = _time.GetUtcNow();
        lock (_gate)
        {
            if (!ShuttingDown && _outputs.TryGetValue(stream.Key, out OutputEntry? entry) && entry.State == OutputState.Interrupted)
            {
                // The publisher is back within the grace period: the same playlists go on.
                entry.Grace?.Cancel();
                entry.Grace?.Dispose();
                entry.Grace = null;
                int publish = entry.Packager.Resume(now);
                subscriber = new Subscriber(this, entry, publish, _transcoding.PresetFor(stream.App, stream.Name));
                entry.Publisher = subscriber;
                entry.State = OutputState.Live;
                LogResumed(_logger, stream.Key, (now - entry.InterruptedAt).TotalSeconds, publish);
            }
            else
            {
                string session = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
                var output = new StreamOutput(stream.App, stream.Name, session, now);
                var packager = new StreamPackager(output, _options);
                packager.ForcedCut += (o, reason, sequence) => LogForcedCut(_logger, o.App + "/" + o.Name, reason, sequence, _options.MaxSegmentDuration.TotalSeconds);
                entry = new OutputEntry(output, packager);
                subscriber = new Subscriber(this, entry, 1, _transcoding.PresetFor(stream.App, stream.Name));
                entry.Publisher = subscriber;
                _outputs[stream.Key] = entry;
            }
        }

        stream.TimelineJumped += OnTimelineJumped;
        stream.Subscribe(subscriber);
    }

    private void OnTimelineJumped(LiveStream stream, MediaKind kind, long fromMs, long toMs)
        => LogTimelineJump(_logger, stream.Key, kind, fromMs, toMs, _options.MaxTimestampJump.TotalSeconds);

    /// <summary>The ladder for a stream's video, or null for passthrough (preset, size, or FFmpeg missing).</summary>
    private LadderTranscoder? StartLadder(StreamPackager packager, int publish, string presetName, CodecConfig video)
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

        LadderTranscoder? ladder = LadderTranscoder.TryCreate(video, rungs, video.FrameRate ?? 30, new RungSink(this, packager, publish, stream), null, out string status);
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

    /// <summary>
    /// A publisher left. Unpublished, or while the gateway shuts down: the output ends. Dropped: it is
    /// interrupted (last segments flushed, playlists live) and ends unless a publisher comes back
    /// within the grace period. A ladder first delivers its last frames.
    /// </summary>
    private void OnEnded(Subscriber publisher, LiveStream stream)
    {
        OutputEntry entry = publisher.Entry;
        DateTimeOffset now = _time.GetUtcNow();
        bool interrupt;
        lock (_gate)
        {
            if (entry.Publisher != publisher || entry.State != OutputState.Live)
            {
                // Ended meanwhile (the gateway is shutting down): only the ladder is left to stop, and
                // only now, after the publisher's last Push.
                if (publisher.Ladder is { } orphan)
                {
                    _ = Task.Run(orphan.Dispose);
                }

                return;
            }

            interrupt = !ShuttingDown && _options.ReconnectGrace > TimeSpan.Zero && stream.EndReason != StreamEndReason.Unpublished;
            entry.InterruptedAt = now;
            entry.State = interrupt ? OutputState.Interrupted : OutputState.Ending;
            if (interrupt)
            {
                entry.Grace = new CancellationTokenSource();
                _ = EndAfterGraceAsync(entry, publisher, entry.Grace.Token);
            }
        }

        LadderTranscoder? ladder = publisher.Ladder;
        if (ladder is null)
        {
            Finish(entry, publisher, interrupt);
            return;
        }

        // The rungs run behind the source: let them flush their last frames first.
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
                Finish(entry, publisher, interrupt);
            }
        });
    }

    /// <summary>After the publisher (and its ladder) stopped: interrupt or end, unless someone else took over meanwhile.</summary>
    private void Finish(OutputEntry entry, Subscriber publisher, bool interrupt)
    {
        lock (_gate)
        {
            if (entry.Publisher != publisher)
            {
                return;
            }

            if (interrupt && entry.State == OutputState.Interrupted)
            {
                entry.Packager.Suspend(_time.GetUtcNow());
                LogInterrupted(_logger, StreamRegistry.KeyOf(entry.Output.App, entry.Output.Name), _options.ReconnectGrace.TotalSeconds);
            }
            else if (entry.State == OutputState.Ending)
            {
                EndLocked(entry, ShuttingDown ? "gateway shutting down" : "unpublished");
            }
        }
    }

    private async Task EndAfterGraceAsync(OutputEntry entry, Subscriber publisher, CancellationToken resumed)
    {
        try
        {
            await Task.Delay(_options.ReconnectGrace, _time, resumed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_gate)
        {
            if (entry.Publisher == publisher && entry.State == OutputState.Interrupted)
            {
                EndLocked(entry, $"no publisher came back within {_options.ReconnectGrace.TotalSeconds:F0} s");
            }
        }
    }

    /// <summary>
    /// The gateway is shutting down (ApplicationStopping, before the HTTP server stops): every output
    /// flushes its segment in production and ends, so parked blocking reloads and growing segments
    /// complete, and the last playlists carry ENDLIST. Ladders are not waited for: what their rungs
    /// still deliver is ignored, and each stops when its publisher's connection closes.
    /// </summary>
    private void EndAll()
    {
        lock (_gate)
        {
            foreach (OutputEntry entry in _outputs.Values)
            {
                if (entry.State != OutputState.Ended)
                {
                    entry.Grace?.Cancel();
                    EndLocked(entry, "gateway shutting down");
                }
            }
        }
    }

    private void EndLocked(OutputEntry entry, string reason)
    {
        entry.State = OutputState.Ended;
        entry.Packager.End(_time.GetUtcNow());
        string key = StreamRegistry.KeyOf(entry.Output.App, entry.Output.Name);
        LogEnded(_logger, key, reason, _options.EndedRetention.TotalSeconds);
        if (!ShuttingDown)
        {
            _ = RemoveLaterAsync(key, entry);
        }
    }

    private async Task RemoveLaterAsync(string key, OutputEntry entry)
    {
        try
        {
            await Task.Delay(_options.EndedRetention, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Only this output: a new publish of the same name has replaced it already.
        _outputs.TryRemove(new KeyValuePair<string, OutputEntry>(key, entry));
    }

    public void Dispose()
    {
        _onStopping.Dispose();
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

    [LoggerMessage(2006, LogLevel.Information, "Stream {Stream}: publisher lost, last segments flushed; the playlists stay live {GraceSeconds} s for it to come back")]
    private static partial void LogInterrupted(ILogger logger, string stream, double graceSeconds);

    [LoggerMessage(2007, LogLevel.Information, "Stream {Stream}: publisher back after {Seconds:F1} s, the playlists continue after a discontinuity (publish {Publish})")]
    private static partial void LogResumed(ILogger logger, string stream, double seconds, int publish);

    [LoggerMessage(2008, LogLevel.Information, "Stream {Stream}: ended ({Reason}): ENDLIST and a static MPD, kept {RetentionSeconds} s")]
    private static partial void LogEnded(ILogger logger, string stream, string reason, double retentionSeconds);

    [LoggerMessage(2009, LogLevel.Warning, "Stream {Stream}: the publisher's {Kind} clock jumped (to {FromMs} ms, beyond {MaxSeconds} s or backwards); the timeline goes on at {ToMs} ms")]
    private static partial void LogTimelineJump(ILogger logger, string stream, MediaKind kind, long fromMs, long toMs, double maxSeconds);

    /// <summary>Where an output is in its life: fed, waiting for its publisher to come back, ending, ended.</summary>
    private enum OutputState
    {
        Live,
        Interrupted,
        Ending,
        Ended,
    }

    /// <summary>One output and who feeds it; transitions under the service's lock.</summary>
    private sealed class OutputEntry(StreamOutput output, StreamPackager packager)
    {
        public StreamOutput Output { get; } = output;

        public StreamPackager Packager { get; } = packager;

        public OutputState State { get; set; }

        /// <summary>The publish feeding it now (or last).</summary>
        public Subscriber? Publisher { get; set; }

        public DateTimeOffset InterruptedAt { get; set; }

        /// <summary>Cancelled when a publisher comes back (or at shutdown).</summary>
        public CancellationTokenSource? Grace { get; set; }
    }

    /// <summary>Feeds one publish into its output's packager (and its ladder), from the publisher's thread.</summary>
    private sealed class Subscriber(PackagingService service, OutputEntry entry, int publish, string preset) : IStreamSubscriber
    {
        private bool _ladderDecided;

        public OutputEntry Entry => entry;

        public LadderTranscoder? Ladder { get; private set; }

        public void OnCodecConfig(LiveStream stream, CodecConfig config)
        {
            entry.Packager.OnCodecConfig(config);
            if (config.Kind == MediaKind.Video && !_ladderDecided)
            {
                _ladderDecided = true;
                Ladder = service.StartLadder(entry.Packager, publish, preset, config);
            }
        }

        public void OnAccessUnit(LiveStream stream, in AccessUnit unit)
        {
            // The ladder takes the unit on the output's timeline, so its rungs cut where the source does.
            AccessUnit packaged = entry.Packager.OnAccessUnit(unit, service._time.GetUtcNow());
            if (packaged.Kind == MediaKind.Video && Ladder is not null)
            {
                Ladder.Push(packaged);
            }
        }

        public void OnMetadata(LiveStream stream, StreamMetadata metadata)
        {
        }

        public void OnEnded(LiveStream stream) => service.OnEnded(this, stream);
    }

    /// <summary>One publish's ladder output into the packager; calls come from the transcoder's threads.</summary>
    private sealed class RungSink(PackagingService service, StreamPackager packager, int publish, string stream) : ILadderSink
    {
        public void OnRungConfig(string rung, CodecConfig config) => packager.OnRungConfig(publish, rung, config);

        public void OnRungAccessUnit(string rung, in AccessUnit unit) => packager.OnRungAccessUnit(publish, rung, unit, service._time.GetUtcNow());

        public void OnDropped(string rung, string reason) => LogRungDropped(service._logger, stream, rung, reason);
    }
}
