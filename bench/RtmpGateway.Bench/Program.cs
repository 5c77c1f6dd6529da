using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RtmpGateway.Bench;
using RtmpGateway.Bench.Peers;
using RtmpGateway.Media;
using RtmpGateway.Transcoding.Ladder;

// Benchmarks, side by side with the tool a user would use instead, in one run, printed as ratios.
// Usage: dotnet bench/RtmpGateway.Bench/bin/Release/net10.0/RtmpGateway.Bench.dll
//   all                                   peers, then ladder, with their defaults (the default)
//   peers [seconds] [publishers, e.g. 1,8,32] [scenarios, e.g. 1,2,3,4,5]
//                                         the gateway against nginx-rtmp and Node-Media-Server
//                                         (defaults 30 s, 1,8,32, 1,2,3,4,5: 1 ingest, 2 first
//                                         playlist, 3 latency, 4 HTTP serving, 5 RTMP fan-out to 50
//                                         viewers; 7, memory per added stream, is derived from 1 when
//                                         it ran with two publisher counts or more)
//                                         (BENCH_KEEP_LOGS=1 keeps the servers' logs)
//   ladder [seconds] | latency [seconds] [video bitrate, e.g. 3M]
//   isolation [seconds]                   one stream's LL-HLS part lateness alone and beside slow
//                                         RTMP viewers, a stalled hub reader and a ladder (default 30)

// Ctrl+C or SIGTERM: cancel, so that every scenario stops what it started; whatever is left is
// stopped by PID on the way out.
using var cancel = new CancellationTokenSource();
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
AppDomain.CurrentDomain.ProcessExit += (_, _) => BenchProcess.StopAll();

string scenario = args.Length > 0 ? args[0] : "all";
int Seconds(int fallback) => args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : fallback;
try
{
    switch (scenario)
    {
        case "all":
            await PeersBenchmark.RunAsync(30, PeersBenchmark.DefaultPublisherCounts, PeersBenchmark.AllScenarios, cancel.Token).ConfigureAwait(false);
            await LadderBenchmark.RunAsync(10).ConfigureAwait(false);
            // The browser latency table is its own command (`latency`, 6 rows of a minute): with it the
            // whole run would pass 20 minutes.
            return 0;
        case "peers":
            await PeersBenchmark.RunAsync(
                Seconds(30),
                args.Length > 2 ? Numbers(args[2]) : PeersBenchmark.DefaultPublisherCounts,
                args.Length > 3 ? Numbers(args[3]) : PeersBenchmark.AllScenarios,
                cancel.Token).ConfigureAwait(false);
            return 0;
        case "ladder":
            await LadderBenchmark.RunAsync(Seconds(10)).ConfigureAwait(false);
            return 0;
        case "isolation":
            await IsolationBenchmark.RunAsync(Seconds(30), cancel.Token).ConfigureAwait(false);
            return 0;
        case "latency":
            await LatencyBenchmark.RunAsync(Seconds(60), args.Length > 2 ? args[2] : "3M").ConfigureAwait(false);
            return 0;
        default:
            Console.Error.WriteLine($"unknown scenario '{scenario}'; known: all, peers, ladder, latency, isolation");
            return 2;
    }
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("bench: cancelled");
    return 130;
}
finally
{
    BenchProcess.StopAll();
}

static int[] Numbers(string list) => [.. list.Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))];

void Cancel(PosixSignalContext context)
{
    // The first signal cancels cleanly; a second one ends the process (ProcessExit still stops the children).
    context.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
}

/// <summary>
/// The default ladder (1080p30 source to 720p/480p/360p, libx264 veryfast) through the gateway's
/// in-process pipeline and through the ffmpeg CLI doing the identical ladder (one decode, split=3,
/// scale, 3 x libx264 veryfast, no B-frames as ours), on the same file, one after the other.
/// </summary>
internal static class LadderBenchmark
{
    public static async Task RunAsync(int seconds)
    {
        // The first `seconds` of the shared 1080p30 source (SourceFiles), for both pipelines.
        string source = await SourceFiles.Source1080pAsync().ConfigureAwait(false);
        string limit = Math.Min(seconds, SourceFiles.Seconds).ToString(CultureInfo.InvariantCulture);
        var demuxer = new FlvDemuxer();
        var units = new UnitCollector(TimeSpan.FromSeconds(Math.Min(seconds, SourceFiles.Seconds)));
        byte[] file = await File.ReadAllBytesAsync(source).ConfigureAwait(false);
        foreach (FlvFileTag tag in FlvFileReader.ReadTags(file))
        {
            demuxer.Demux(tag.Type, tag.Timestamp, tag.Body, units);
        }

        CodecConfig config = demuxer.Video ?? throw new InvalidOperationException("no video in the source");
        IReadOnlyList<LadderRung> rungs = LadderPresetLoader.Load(Path.Combine(AppContext.BaseDirectory, "ffmpeg-config"), "default").RungsFor(config.Width, config.Height);

        // In-process: push every frame (a queue that never fills, so nothing is dropped), wait for the flush.
        var sink = new CountingSink();
        var options = new LadderTranscoderOptions { MaxQueueSeconds = 100_000, MaxQueuedBytes = 1L << 32 };
        var watch = Stopwatch.StartNew();
        using (var transcoder = new LadderTranscoder(config, rungs, config.FrameRate ?? 30, sink, options))
        {
            foreach (AccessUnit unit in units.Video)
            {
                transcoder.Push(unit);
            }

            await transcoder.CompleteAsync().ConfigureAwait(false);
        }

        double inProcess = units.Video.Count / watch.Elapsed.TotalSeconds;

        // The ffmpeg CLI, the identical ladder.
        var cli = new List<string> { "-v", "error", "-t", limit, "-i", source, "-filter_complex" };
        cli.Add("[0:v]split=" + rungs.Count.ToString(CultureInfo.InvariantCulture) + string.Concat(rungs.Select((_, i) => $"[s{i}]")) + ";"
            + string.Join(';', rungs.Select((r, i) => $"[s{i}]scale={r.Width}:{r.Height}[o{i}]")));
        for (int i = 0; i < rungs.Count; i++)
        {
            LadderRung r = rungs[i];
            cli.AddRange(["-map", $"[o{i}]", $"-c:v:{i}", "libx264", $"-preset:v:{i}", r.Preset, $"-profile:v:{i}", r.Profile,
                $"-b:v:{i}", $"{r.BitRate}", $"-maxrate:v:{i}", $"{r.MaxRate}", $"-bufsize:v:{i}", $"{r.BufferSize}", $"-bf:v:{i}", "0"]);
        }

        cli.AddRange(["-x264-params", "scenecut=0", "-f", "null", "-"]);
        watch.Restart();
        Run("ffmpeg", [.. cli]);
        double ffmpeg = units.Video.Count / watch.Elapsed.TotalSeconds;

        Console.WriteLine();
        Console.WriteLine($"Ladder: {units.Video.Count} frames {config.Width}x{config.Height} -> {string.Join(", ", rungs.Select(r => $"{r.Width}x{r.Height}"))} ({Environment.ProcessorCount} cores)");
        Console.WriteLine();
        Console.WriteLine("| pipeline | fps | gateway / ffmpeg CLI |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| gateway, in-process ladder | {inProcess:F1} | {inProcess / ffmpeg:F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| ffmpeg CLI, split + scale + libx264 | {ffmpeg:F1} | 1.00 |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"frames out per rung: {string.Join(", ", sink.Counts.Select(kv => $"{kv.Key} {kv.Value}"))}; dropped {sink.Dropped}"));
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process process = Process.Start(psi)!;
        string err = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {err}");
        }
    }

    /// <summary>The video frames decoded before <paramref name="limit"/> (a prefix in decode order, so every reference is kept).</summary>
    private sealed class UnitCollector(TimeSpan limit) : IMediaSink
    {
        public List<AccessUnit> Video { get; } = [];

        public void OnCodecConfig(CodecConfig config)
        {
        }

        public void OnAccessUnit(in AccessUnit unit)
        {
            if (unit.Kind == MediaKind.Video && unit.Dts < limit.TotalSeconds * unit.Config.Timescale)
            {
                Video.Add(unit);
            }
        }

        public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs)
        {
        }
    }

    private sealed class CountingSink : ILadderSink
    {
        private long _dropped;

        public System.Collections.Concurrent.ConcurrentDictionary<string, int> Counts { get; } = new();

        public long Dropped => Interlocked.Read(ref _dropped);

        public void OnRungConfig(string rung, CodecConfig config)
        {
        }

        public void OnRungAccessUnit(string rung, in AccessUnit unit) => Counts.AddOrUpdate(rung, 1, (_, n) => n + 1);

        public void OnDropped(string rung, string reason) => Interlocked.Increment(ref _dropped);
    }
}
