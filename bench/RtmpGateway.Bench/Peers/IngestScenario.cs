namespace RtmpGateway.Bench.Peers;

/// <summary>
/// Scenario 1, passthrough ingest to HLS: N publishers of the 720p source at once for the run's
/// duration, into a freshly started server. Cost = CPU seconds of the server's whole process tree
/// from just before the first publisher starts to 1 s after the last one ended, per stream-minute;
/// memory = the peak over samples every 0.5 s of the tree's summed RSS and of its summed PSS.
/// Meanwhile every stream's media playlist is read once a second to check that it stayed live.
/// </summary>
internal static class IngestScenario
{
    /// <summary>Every server has written its first segment by then; from then on a playlist must keep moving.</summary>
    private static readonly TimeSpan FirstSegmentDeadline = TimeSpan.FromSeconds(10);

    /// <summary>Three target durations without a new segment: a player would stall.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(6);

    /// <summary>Publishers of the warm-up, whatever the measured count.</summary>
    private const int WarmUpStreams = 8;

    public sealed record Result(double CpuSecondsPerStreamMinute, long PeakRssBytes, long PeakPssBytes, int LiveStreams, int PeakProcesses);

    public static async Task<Result> RunAsync(PeerRun run, ServerKind kind, int publishers)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(kind);
        await using StreamingServer server = await kind.StartAsync(run.WorkDirectory, run.CancellationToken);
        int pid = server.Process.Id;

        // A server runs for days: what it costs per stream is its steady state, not its first
        // seconds. Eight streams for 20 s, their playlists read as below, warm every server up alike
        // (the gateway's JIT, which recompiles a method with profile data after 30 calls and then
        // optimises it after 30 more: per-segment code runs once per 2 s segment, so it takes 8
        // streams about 15 s, one stream two minutes; node's JIT; the page cache for ffmpeg) before
        // the measurement.
        int warmUpSeconds = Math.Min(20, run.Seconds);
        var warmUps = new List<BenchProcess>();
        try
        {
            var watches = new List<Task<bool>>();
            for (int i = 0; i < WarmUpStreams; i++)
            {
                BenchProcess warmUp = run.Publish(server, $"warmup{publishers}x{i}", warmUpSeconds);
                warmUps.Add(warmUp);
                watches.Add(WatchAsync(run, server.MediaPlaylist($"warmup{publishers}x{i}"), warmUp, warmUpSeconds));
            }

            await Task.WhenAll(watches);
            foreach (BenchProcess warmUp in warmUps)
            {
                await warmUp.WaitForExitAsync(TimeSpan.FromSeconds(30), run.CancellationToken);
            }
        }
        finally
        {
            foreach (BenchProcess warmUp in warmUps)
            {
                await warmUp.DisposeAsync();
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(2), run.CancellationToken);
        TreeUsage before = TreeUsage.Read(pid);
        var streams = new List<BenchProcess>();
        try
        {
            await using TreePeakSampler peaks = TreePeakSampler.Start(pid, TimeSpan.FromMilliseconds(500));
            var watches = new List<Task<bool>>();
            for (int i = 0; i < publishers; i++)
            {
                string name = $"ingest{publishers}x{i}";
                BenchProcess publisher = run.Publish(server, name, run.Seconds);
                streams.Add(publisher);
                watches.Add(WatchAsync(run, server.MediaPlaylist(name), publisher, run.Seconds));
            }

            bool[] live = await Task.WhenAll(watches);
            foreach (BenchProcess publisher in streams)
            {
                await publisher.WaitForExitAsync(TimeSpan.FromSeconds(30), run.CancellationToken);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), run.CancellationToken);
            TreeUsage after = TreeUsage.Read(pid);
            await peaks.StopAsync();
            double streamMinutes = publishers * run.Seconds / 60.0;
            return new Result(
                (after.CpuSeconds - before.CpuSeconds) / streamMinutes,
                peaks.PeakRssBytes,
                peaks.PeakPssBytes,
                live.Zip(streams).Count(s => s.First && s.Second.HasExited && s.Second.ExitCode == 0),
                peaks.PeakProcesses);
        }
        finally
        {
            foreach (BenchProcess publisher in streams)
            {
                await publisher.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Reads the playlist once a second while the publisher runs. Live: it lists a segment within
    /// <see cref="FirstSegmentDeadline"/> and, from then to the end, never goes
    /// <see cref="StaleAfter"/> without a newer one.
    /// </summary>
    private static async Task<bool> WatchAsync(PeerRun run, Uri playlist, BenchProcess publisher, int seconds)
    {
        long? newest = null;
        double lastAdvance = 0;
        bool live = true;
        while (PeerRun.Since(publisher.StartTimestamp) < seconds)
        {
            long read = System.Diagnostics.Stopwatch.GetTimestamp();
            MediaPlaylist? now = await run.TryGetPlaylistAsync(playlist);
            double t = PeerRun.Since(publisher.StartTimestamp);
            if (now?.NewestSequence is { } sequence && (newest is null || sequence > newest))
            {
                newest = sequence;
                lastAdvance = t;
            }

            if (t >= FirstSegmentDeadline.TotalSeconds && (newest is null || t - lastAdvance > StaleAfter.TotalSeconds))
            {
                live = false;
            }

            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 1 - PeerRun.Since(read))), run.CancellationToken);
        }

        return live && newest is not null;
    }
}
