using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// Scenario 5, RTMP fan-out: one publisher of the 720p source into a freshly started server, then
/// <see cref="Viewers"/> RTMP viewers of it, each an ffmpeg reading the stream for the run's duration
/// of media (<see cref="PeerRun.Play"/>), started <see cref="Stagger"/> apart. Cost = the CPU seconds
/// of the server's whole process tree from just before the first viewer starts to the last one's exit,
/// minus what the publisher alone cost over as long a time (measured just before, on the same publish,
/// for up to 10 s and scaled), per viewer-minute of that window. Memory = the tree's peak RSS over the
/// viewers' window, sampled every 0.5 s. A viewer was served if ffmpeg's last progress report shows
/// at least <see cref="ServedShare"/> of the media time it asked for.
/// </summary>
internal static partial class FanOutScenario
{
    public const int Viewers = 50;

    private const string StreamName = "fanout";

    /// <summary>A viewer that received less than this share of its media time was not served (it stalled, was dropped or refused).</summary>
    private const double ServedShare = 0.8;

    /// <summary>Between two viewers' starts (plus the start itself, 20-25 ms here): 50 ffmpeg start-ups over about 2 s, not one fork storm.</summary>
    private static readonly TimeSpan Stagger = TimeSpan.FromMilliseconds(20);

    /// <summary>A viewer still running this long after its media time is stopped (it would never finish).</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);

    public sealed record Result(double CpuSecondsPerViewerMinute, double AloneCpuSecondsPerMinute, double WindowSeconds, long PeakRssBytes, int PeakProcesses, int Served);

    public static async Task<Result> RunAsync(PeerRun run, ServerKind kind)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(kind);
        await using StreamingServer server = await (kind.StartForRtmpViewersAsync ?? kind.StartAsync)(run.WorkDirectory, run.CancellationToken);
        int pid = server.Process.Id;
        int aloneSeconds = Math.Min(10, run.Seconds);

        // Bounded, and far longer than needed: it is stopped by PID once the viewers are done.
        await using BenchProcess publisher = run.Publish(server, StreamName, 60 + aloneSeconds + run.Seconds + (int)Grace.TotalSeconds);
        await run.WaitForSegmentsAsync(server.MediaPlaylist(StreamName), publisher);

        // One viewer for 3 s warms the play path up (the gateway's JIT) before anything is measured,
        // as scenario 1's warm-up publish does for ingest.
        await using (BenchProcess warmUp = run.Play(server, StreamName, 3))
        {
            await warmUp.WaitForExitAsync(Grace, run.CancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), run.CancellationToken);
        long aloneStart = Stopwatch.GetTimestamp();
        TreeUsage aloneBefore = TreeUsage.Read(pid);
        await Task.Delay(TimeSpan.FromSeconds(aloneSeconds), run.CancellationToken);
        TreeUsage aloneAfter = TreeUsage.Read(pid);
        double aloneCpuPerSecond = (aloneAfter.CpuSeconds - aloneBefore.CpuSeconds) / PeerRun.Since(aloneStart);

        var viewers = new List<BenchProcess>();
        double extraCpu;
        double window;
        long peakRss;
        int peakProcesses;
        try
        {
            long start = Stopwatch.GetTimestamp();
            TreeUsage before = TreeUsage.Read(pid);
            await using TreePeakSampler peaks = TreePeakSampler.Start(pid, TimeSpan.FromMilliseconds(500));
            for (int i = 0; i < Viewers; i++)
            {
                viewers.Add(run.Play(server, StreamName, run.Seconds));
                await Task.Delay(Stagger, run.CancellationToken);
            }

            // Each viewer ends by itself after its media time; one still running at the deadline is cut off below.
            TimeSpan left = TimeSpan.FromSeconds(run.Seconds) + Grace - Stopwatch.GetElapsedTime(start);
            await Task.WhenAll(viewers.Select(v => v.WaitForExitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, run.CancellationToken)));

            window = PeerRun.Since(start);
            TreeUsage after = TreeUsage.Read(pid);
            await peaks.StopAsync();
            extraCpu = after.CpuSeconds - before.CpuSeconds - (aloneCpuPerSecond * window);
            peakRss = peaks.PeakRssBytes;
            peakProcesses = peaks.PeakProcesses;
        }
        finally
        {
            foreach (BenchProcess viewer in viewers)
            {
                await viewer.DisposeAsync();
            }
        }

        return new Result(
            extraCpu / (Viewers * window / 60),
            aloneCpuPerSecond * 60,
            window,
            peakRss,
            peakProcesses,
            viewers.Count(v => MediaSeconds(v.ReadLog()) >= ServedShare * run.Seconds));
    }

    /// <summary>The media time (s) in ffmpeg's last -progress report (out_time_us=, microseconds); 0 when it made none.</summary>
    private static double MediaSeconds(string log)
    {
        MatchCollection times = OutTime().Matches(log);
        return times.Count == 0 ? 0 : long.Parse(times[^1].Groups[1].Value, CultureInfo.InvariantCulture) / 1e6;
    }

    // A report before the first packet says "N/A", which does not match and is skipped.
    [GeneratedRegex(@"^out_time_us=(\d+)$", RegexOptions.Multiline)]
    private static partial Regex OutTime();
}
