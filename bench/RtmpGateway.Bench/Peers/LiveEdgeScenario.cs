using System.Diagnostics;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// Scenarios 2 and 3 on one freshly started server, one publisher at a time.
/// 2: time from the publisher's start (its process start) to the first media playlist listing a
/// segment, read every 20 ms (the gateway holds an early request until then, the others answer 404
/// meanwhile); the median of three publishes, the first of which meets a cold server.
/// 3: server-side live latency, read every 100 ms for the run's duration once the stream is
/// playable: wall clock since the publisher started minus the publisher's media time at the end of
/// the newest segment (or LL-HLS part) available. That media time is the sum of the EXTINF
/// durations of every segment since the stream's first (each playlist read adds those it lists)
/// plus the parts listed after the last segment, plus where the first segment starts in the
/// publisher's timeline (0, except for Node-Media-Server's ffmpeg that starts at the GOP cache).
/// Both include the publisher's own start-up (ffmpeg starting and connecting, the same for all servers).
/// </summary>
internal static class LiveEdgeScenario
{
    private const int StartupRuns = 3;
    private static readonly TimeSpan PlayableTimeout = TimeSpan.FromSeconds(20);

    public sealed record Result(IReadOnlyList<double> FirstPlayableSeconds, double LatencyMedianSeconds, double LatencyP95Seconds, int Samples)
    {
        public double FirstPlayableMedianSeconds => FirstPlayableSeconds.Order().ElementAt(FirstPlayableSeconds.Count / 2);
    }

    public static async Task<Result> RunAsync(PeerRun run, ServerKind kind)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(kind);
        await using StreamingServer server = await kind.StartAsync(run.WorkDirectory, run.CancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), run.CancellationToken);

        var firstPlayable = new List<double>();
        for (int i = 0; i < StartupRuns; i++)
        {
            string name = $"first{i}";
            await using (BenchProcess publisher = run.Publish(server, name, 30))
            {
                firstPlayable.Add(await WaitPlayableAsync(run, server.MediaPlaylist(name), publisher, TimeSpan.FromMilliseconds(20), new LiveEdgeTracker()));
            }

            // The server tidies the ended stream away before the next publish.
            await Task.Delay(TimeSpan.FromSeconds(2), run.CancellationToken);
        }

        // Long enough for the slowest first playlist plus the sampling; bounded all the same.
        await using BenchProcess edgePublisher = run.Publish(server, "edge", run.Seconds + (int)PlayableTimeout.TotalSeconds + 10);
        Uri playlist = server.MediaPlaylist("edge");
        var tracker = new LiveEdgeTracker();
        await WaitPlayableAsync(run, playlist, edgePublisher, TimeSpan.FromMilliseconds(100), tracker);
        var samples = new List<(double Wall, double MediaEnd)>();
        long sampling = Stopwatch.GetTimestamp();
        while (PeerRun.Since(sampling) < run.Seconds)
        {
            long read = Stopwatch.GetTimestamp();
            if (await run.TryGetPlaylistAsync(playlist) is { } now)
            {
                tracker.Add(now);
                samples.Add((PeerRun.Since(edgePublisher.StartTimestamp), tracker.MediaEnd));
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 0.1 - PeerRun.Since(read))), run.CancellationToken);
        }

        if (tracker.Missing > 0)
        {
            throw new InvalidOperationException($"{tracker.Missing} segments went by unseen: the latency would be wrong");
        }

        double start = server.FirstSegmentMediaStart("edge");
        double[] latencies = [.. samples.Select(s => s.Wall - (start + s.MediaEnd)).Order()];
        return new Result(
            firstPlayable,
            latencies[latencies.Length / 2],
            latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.95))],
            latencies.Length);
    }

    /// <summary>Reads the playlist until it lists a segment; the seconds since the publisher started.</summary>
    private static async Task<double> WaitPlayableAsync(PeerRun run, Uri playlist, BenchProcess publisher, TimeSpan interval, LiveEdgeTracker tracker)
    {
        while (PeerRun.Since(publisher.StartTimestamp) < PlayableTimeout.TotalSeconds)
        {
            long read = Stopwatch.GetTimestamp();
            if (await run.TryGetPlaylistAsync(playlist) is { } now)
            {
                tracker.Add(now);
                if (tracker.HasSegments)
                {
                    return PeerRun.Since(publisher.StartTimestamp);
                }
            }

            if (publisher.HasExited)
            {
                throw new InvalidOperationException("the publisher ended before the first playlist: " + publisher.ReadLog());
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, interval.TotalSeconds - PeerRun.Since(read))), run.CancellationToken);
        }

        throw new TimeoutException($"no playable playlist at {playlist} within {PlayableTimeout.TotalSeconds} s");
    }
}
