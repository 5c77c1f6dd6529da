using System.Diagnostics;
using System.Globalization;
using RtmpGateway.Media;
using RtmpGateway.Transcoding.Ladder;

// Benchmarks, side by side with the tool a user would use instead, in one run, printed as ratios.
// Usage: dotnet run -c Release --project bench/RtmpGateway.Bench -- ladder [seconds] | latency [seconds] [video bitrate, e.g. 3M]
string scenario = args.Length > 0 ? args[0] : "ladder";
switch (scenario)
{
    case "ladder":
        await LadderBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10).ConfigureAwait(false);
        return 0;
    case "latency":
        await LatencyBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60, args.Length > 2 ? args[2] : "3M").ConfigureAwait(false);
        return 0;
    default:
        Console.Error.WriteLine($"unknown scenario '{scenario}'; known: ladder, latency");
        return 2;
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
        string dir = Directory.CreateTempSubdirectory("rtmpgw-bench-").FullName;
        try
        {
            string source = Path.Combine(dir, "source-1080p.flv");
            Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", seconds.ToString(CultureInfo.InvariantCulture),
                "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p", "-f", "flv", source);

            var demuxer = new FlvDemuxer();
            var units = new UnitCollector();
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
            var cli = new List<string> { "-v", "error", "-i", source, "-filter_complex" };
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
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
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

    private sealed class UnitCollector : IMediaSink
    {
        public List<AccessUnit> Video { get; } = [];

        public void OnCodecConfig(CodecConfig config)
        {
        }

        public void OnAccessUnit(in AccessUnit unit)
        {
            if (unit.Kind == MediaKind.Video)
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
