using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RtmpGateway.Hub;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Transcoding;
using RtmpGateway.Transcoding.Ladder;

namespace RtmpGateway.Server.Live;

/// <summary>
/// Packages every hub stream into CMAF, and keeps each stream's output (live, or ended for
/// <see cref="PackagingOptions.EndedRetention"/>) for the HTTP endpoints. Per stream it adds two
/// hub readers, each on its own queue and worker: the packager (<see cref="PackagerReader"/>: the
/// source, the audio and every rung into segments and parts) and the ladder
/// (<see cref="LadderReader"/>: decodes the source once and writes its rungs back into the hub as
/// tracks of their own, which the packager reads like any other). The stream's life across publishes
/// (the grace, the timeline of a publisher that comes back) is the hub's; this service only follows it.
/// At shutdown it ends every hub stream (ApplicationStopping, before the HTTP server drains), so the
/// last playlists carry ENDLIST and parked requests complete.
/// </summary>
internal sealed partial class PackagingService : IDisposable
{
    private readonly ConcurrentDictionary<string, OutputEntry> _outputs = new(StringComparer.Ordinal);
    private readonly CancellationToken _applicationStopping;
    private readonly CancellationTokenRegistration _onStopping;
    private readonly PackagingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PackagingService> _logger;
    private readonly StreamHub _hub;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TranscodingOptions _transcoding;
    private readonly ConcurrentDictionary<string, LadderPreset> _presets = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;
    private int _ffmpegMissingLogged;
    private int _ffmpegLogAttached;

    public PackagingService(
        StreamHub hub,
        IOptions<PackagingOptions> options,
        IOptions<TranscodingOptions> transcoding,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        IHostApplicationLifetime lifetime)
    {
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<PackagingService>();
        _hub = hub;
        _options = options.Value;
        _transcoding = transcoding.Value;
        _time = time;

        // Fail at start, naming the key, rather than at the first publish.
        Preset(_transcoding.Preset);
        hub.Notified += OnNotified;

        // Before the HTTP server stops: parked blocking reloads and growing segments complete with the end.
        _applicationStopping = lifetime.ApplicationStopping;
        _onStopping = _applicationStopping.Register(hub.EndAll);
    }

    public PackagingOptions Options => _options;

    public StreamOutput? Find(string app, string name) => _outputs.TryGetValue(StreamHub.KeyOf(app, name), out OutputEntry? e) ? e.Output : null;

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

    /// <summary>The hub's notifications: Published and TrackChanged on the publisher's thread (quick), the others from the pool.</summary>
    private void OnNotified(HubNotification n)
    {
        switch (n.Kind)
        {
            case HubNotificationKind.Published when n.Publish == 1:
                StartOutput(n.Stream);
                break;
            case HubNotificationKind.Published:
                if (_outputs.TryGetValue(n.Stream.Key, out OutputEntry? resumed) && resumed.Stream == n.Stream)
                {
                    LogResumed(_logger, n.Stream.Key, (_time.GetUtcNow() - resumed.InterruptedAt).TotalSeconds, n.Publish);
                }

                break;
            case HubNotificationKind.Interrupted:
                if (_outputs.TryGetValue(n.Stream.Key, out OutputEntry? interrupted) && interrupted.Stream == n.Stream)
                {
                    interrupted.InterruptedAt = _time.GetUtcNow();
                }

                LogInterrupted(_logger, n.Stream.Key, _options.ReconnectGrace.TotalSeconds);
                break;
            case HubNotificationKind.Ended:
                OnEnded(n.Stream);
                break;
        }
    }

    private void StartOutput(HubStream stream)
    {
        string session = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var output = new StreamOutput(stream.App, stream.Name, session, _time.GetUtcNow());
        var packager = new StreamPackager(output, _options);
        packager.ForcedCut += (o, reason, sequence) => LogForcedCut(_logger, o.App + "/" + o.Name, reason, sequence, _options.MaxSegmentDuration.TotalSeconds);
        var entry = new OutputEntry(stream, output);
        _outputs[stream.Key] = entry;
        stream.AddReader(new PackagerReader(packager, _time));
        string preset = _transcoding.PresetFor(stream.App, stream.Name);
        if (HasRungs(preset))
        {
            stream.AddReader(new LadderReader(this, preset));
        }
    }

    private void OnEnded(HubStream stream)
    {
        string reason = stream.EndReason switch
        {
            HubEndReason.Unpublished => "unpublished",
            HubEndReason.Shutdown => "gateway shutting down",
            _ when _options.ReconnectGrace > TimeSpan.Zero => $"no publisher came back within {_options.ReconnectGrace.TotalSeconds:F0} s",
            _ => "publisher lost",
        };
        LogEnded(_logger, stream.Key, reason, _options.EndedRetention.TotalSeconds);
        if (!_applicationStopping.IsCancellationRequested && _outputs.TryGetValue(stream.Key, out OutputEntry? entry) && entry.Stream == stream)
        {
            _ = RemoveLaterAsync(stream.Key, entry);
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

    /// <summary>Whether a preset has rungs at all (for a passthrough preset the stream needs no ladder reader).</summary>
    private bool HasRungs(string presetName)
    {
        try
        {
            return !Preset(presetName).IsPassthrough;
        }
        catch (InvalidOperationException)
        {
            // Logged when a ladder would start: a reader then says so once per stream.
            return true;
        }
    }

    /// <summary>The ladder for a stream's video, or null for passthrough (preset, codec, size, or FFmpeg missing). On the ladder reader's worker.</summary>
    internal LadderTranscoder? StartLadder(HubStream stream, string presetName, CodecConfig video, ILadderSink sink)
    {
        LadderPreset preset;
        try
        {
            preset = Preset(presetName);
        }
        catch (InvalidOperationException ex)
        {
            LogPresetUnusable(_logger, stream.Key, ex.Message);
            return null;
        }

        IReadOnlyList<LadderRung> rungs = preset.RungsFor(video.Width, video.Height);
        if (video.Codec != MediaCodec.H264 || rungs.Count == 0)
        {
            return null;
        }

        LadderTranscoder? ladder = LadderTranscoder.TryCreate(video, rungs, video.FrameRate ?? 30, sink, null, out string status);
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

        LogLadderStarted(_logger, stream.Key, preset.Name, string.Join(", ", rungs.Select(r => $"{r.Name} {r.Width}x{r.Height}")));
        return ladder;
    }

    internal void OnRungDropped(HubStream stream, string rung, string reason) => LogRungDropped(_logger, stream.Key, rung, reason);

    internal TimeProvider Time => _time;

    public void Dispose()
    {
        _onStopping.Dispose();
        _hub.Notified -= OnNotified;
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

    /// <summary>One output and the hub stream it follows.</summary>
    private sealed class OutputEntry(HubStream stream, StreamOutput output)
    {
        public HubStream Stream { get; } = stream;

        public StreamOutput Output { get; } = output;

        public DateTimeOffset InterruptedAt { get; set; }
    }
}
