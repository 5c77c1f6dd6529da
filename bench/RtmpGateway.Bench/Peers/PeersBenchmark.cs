using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// The gateway side by side with the servers a user would pick instead (nginx-rtmp, Node-Media-Server),
/// on this machine, in one run: each scenario runs against the gateway and then each peer, every
/// server started by the bench and stopped by PID. Prints one markdown table with the ratios.
/// </summary>
internal sealed class PeersBenchmark
{
    public static readonly int[] DefaultPublisherCounts = [1, 8, 32];
    public static readonly int[] AllScenarios = [1, 2, 3, 4, 5];

    private readonly PeerRun _run;
    private readonly ServerKind[] _servers;
    private readonly PeersTable _table;

    /// <summary>Scenario 1's figures by server and publisher count, for scenario 7.</summary>
    private readonly Dictionary<(string Server, int Publishers), IngestScenario.Result> _ingest = [];
    private bool _failed;

    private PeersBenchmark(PeerRun run, ServerKind[] servers)
    {
        _run = run;
        _servers = servers;
        _table = new PeersTable([.. servers.Select(s => s.Name)]);
    }

    /// <param name="seconds">Publish time in scenario 1, sampling time in scenario 3, viewing time in scenario 5; wrk runs min(10, seconds).</param>
    /// <param name="scenarios">
    /// Which to run: 1 ingest, 2 first playlist and 3 latency (run together), 4 serving, 5 RTMP fan-out.
    /// 7 (memory per added stream) needs no run of its own: it comes from 1 whenever 1 ran with two publisher counts or more.
    /// </param>
    public static async Task RunAsync(int seconds, IReadOnlyList<int> publisherCounts, IReadOnlyCollection<int> scenarios, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisherCounts);
        ArgumentNullException.ThrowIfNull(scenarios);
        ServerKind[] servers =
        [
            new(GatewayServer.Label, GatewayServer.StartAsync),
            new(NginxRtmpServer.Label, NginxRtmpServer.StartAsync) { StartForRtmpViewersAsync = NginxRtmpServer.StartForRtmpViewersAsync },
            new(NodeMediaServerPeer.Label, NodeMediaServerPeer.StartAsync),
        ];
        string source = await SourceFiles.Source720pAsync();
        string dir = Directory.CreateTempSubdirectory("rtmpgw-peers-").FullName;

        // nginx's workers run unprivileged: they must reach their folders inside this one.
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { Timeout = TimeSpan.FromSeconds(10) };
        var bench = new PeersBenchmark(new PeerRun(dir, source, seconds, http, cancellationToken), servers);
        int wrkSeconds = Math.Min(10, seconds);
        if (scenarios.Contains(1))
        {
            await bench.IngestAsync(publisherCounts);
        }

        if (scenarios.Contains(2) || scenarios.Contains(3))
        {
            await bench.LiveEdgeAsync();
        }

        string served = scenarios.Contains(4) ? await bench.ServingAsync(wrkSeconds) : "";
        if (scenarios.Contains(5))
        {
            await bench.FanOutAsync();
        }

        if (scenarios.Contains(1))
        {
            bench.MemoryPerStream(publisherCounts);
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Peers: {seconds} s per ingest, latency and fan-out measurement, wrk {wrkSeconds} s x 3 rounds{served} ({Environment.ProcessorCount} cores)"));
        Console.WriteLine();
        bench._table.Print(Console.Out);
        if (bench._failed || Environment.GetEnvironmentVariable("BENCH_KEEP_LOGS") == "1")
        {
            Console.Error.WriteLine($"bench: logs kept in {dir}");
        }
        else
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task IngestAsync(IReadOnlyList<int> publisherCounts)
    {
        foreach (int n in publisherCounts)
        {
            PeersTable.Row cpu = _table.Add("1", $"ingest, {n} x 720p: CPU s per stream-minute", "F2", Goal.AtMostNginx);
            PeersTable.Row rss = _table.Add("1", $"ingest, {n} x 720p: peak RSS, MiB", "F0", Goal.None);
            PeersTable.Row pss = _table.Add("1", $"ingest, {n} x 720p: peak PSS, MiB", "F0", Goal.None);
            PeersTable.Row live = _table.Add("1", $"ingest, {n} x 720p: playlists live", "", Goal.AllLive);
            foreach (ServerKind server in _servers)
            {
                Console.Error.WriteLine($"bench: scenario 1, {n} publishers, {server.Name}");
                try
                {
                    IngestScenario.Result r = await IngestScenario.RunAsync(_run, server, n);
                    _ingest[(server.Name, n)] = r;
                    cpu.Set(server.Name, r.CpuSecondsPerStreamMinute);
                    rss.Set(server.Name, r.PeakRssBytes / 1048576.0, r.PeakProcesses > 1 ? $"{r.PeakProcesses} processes" : null);
                    pss.Set(server.Name, r.PeakPssBytes / 1048576.0);
                    live.SetCount(server.Name, r.LiveStreams, n);
                }
                catch (Exception e) when (!_run.CancellationToken.IsCancellationRequested)
                {
                    Failed([cpu, rss, pss, live], server, e);
                }
            }
        }
    }

    private async Task LiveEdgeAsync()
    {
        PeersTable.Row first = _table.Add("2", "publish start to first playable playlist, s (median of 3)", "F2", Goal.BelowEveryPeer);
        PeersTable.Row median = _table.Add("3", "live latency at the server, median, s", "F2", Goal.BelowEveryPeer);
        PeersTable.Row p95 = _table.Add("3", "live latency at the server, p95, s", "F2", Goal.BelowEveryPeer);
        foreach (ServerKind server in _servers)
        {
            Console.Error.WriteLine($"bench: scenarios 2 and 3, {server.Name}");
            try
            {
                LiveEdgeScenario.Result r = await LiveEdgeScenario.RunAsync(_run, server);
                first.Set(server.Name, r.FirstPlayableMedianSeconds, string.Join(", ", r.FirstPlayableSeconds.Select(t => t.ToString("F2", CultureInfo.InvariantCulture))));
                median.Set(server.Name, r.LatencyMedianSeconds);
                p95.Set(server.Name, r.LatencyP95Seconds, $"{r.Samples} samples");
            }
            catch (Exception e) when (!_run.CancellationToken.IsCancellationRequested)
            {
                Failed([first, median, p95], server, e);
            }
        }
    }

    /// <summary>Scenario 4; returns the sizes served, for the table's caption.</summary>
    private async Task<string> ServingAsync(int wrkSeconds)
    {
        PeersTable.Row segmentRps = _table.Add("4", "one segment: requests/s", "F0", Goal.AtLeastNginx);
        PeersTable.Row segmentMiB = _table.Add("4", "one segment: MiB/s", "F0", Goal.AtLeastNginx);
        PeersTable.Row playlistRps = _table.Add("4", "media playlist: requests/s", "F0", Goal.AtLeastNginx);
        PeersTable.Row playlistMiB = _table.Add("4", "media playlist: MiB/s", "F1", Goal.AtLeastNginx);
        PeersTable.Row[] rows = [segmentRps, segmentMiB, playlistRps, playlistMiB];
        Console.Error.WriteLine($"bench: scenario 4, {GatewayServer.Label} and {NginxRtmpServer.Label}");
        try
        {
            ServingScenario.Served served = await ServingScenario.RunAsync(_run, GatewayAndNginx, wrkSeconds);
            foreach ((string name, ServingScenario.Result r) in served.Results)
            {
                segmentRps.Set(name, r.Segment.RequestsPerSecond, ErrorNote(r.Segment));
                segmentMiB.Set(name, r.Segment.MebibytesPerSecond);
                playlistRps.Set(name, r.Playlist.RequestsPerSecond, ErrorNote(r.Playlist));
                playlistMiB.Set(name, r.Playlist.MebibytesPerSecond);
            }

            foreach ((string name, Exception e) in served.Failures)
            {
                Failed(rows, _servers.Single(s => s.Name == name), e);
            }

            return $"; segment {served.SegmentBytes} bytes, playlist {served.PlaylistBytes} bytes";
        }
        catch (Exception e) when (!_run.CancellationToken.IsCancellationRequested)
        {
            foreach (ServerKind server in GatewayAndNginx)
            {
                Failed(rows, server, e);
            }

            return "";
        }
    }

    private async Task FanOutAsync()
    {
        int viewers = FanOutScenario.Viewers;
        PeersTable.Row cpu = _table.Add("5", $"RTMP fan-out, 1 x 720p to {viewers} viewers: CPU s per viewer-minute", "F3", Goal.AtMostNginx);
        PeersTable.Row rss = _table.Add("5", $"RTMP fan-out, 1 x 720p to {viewers} viewers: peak RSS, MiB", "F0", Goal.None);
        PeersTable.Row served = _table.Add("5", $"RTMP fan-out, 1 x 720p to {viewers} viewers: viewers served", "", Goal.AllServed);
        foreach (ServerKind server in GatewayAndNginx)
        {
            Console.Error.WriteLine($"bench: scenario 5, {server.Name}");
            try
            {
                FanOutScenario.Result r = await FanOutScenario.RunAsync(_run, server);
                cpu.Set(server.Name, r.CpuSecondsPerViewerMinute, string.Create(CultureInfo.InvariantCulture, $"publisher alone {r.AloneCpuSecondsPerMinute:F2} CPU s/min; window {r.WindowSeconds:F0} s"));
                rss.Set(server.Name, r.PeakRssBytes / 1048576.0, r.PeakProcesses > 1 ? $"{r.PeakProcesses} processes" : null);
                served.SetCount(server.Name, r.Served, viewers);
            }
            catch (Exception e) when (!_run.CancellationToken.IsCancellationRequested)
            {
                Failed([cpu, rss, served], server, e);
            }
        }
    }

    /// <summary>
    /// Scenario 7, from scenario 1's peaks: what one more passthrough stream adds to the server's
    /// memory, (peak at the largest publisher count - peak at the smallest) / the difference in count,
    /// from RSS and from PSS. Nothing when scenario 1 ran with one publisher count.
    /// </summary>
    private void MemoryPerStream(IReadOnlyList<int> publisherCounts)
    {
        int low = publisherCounts.Min();
        int high = publisherCounts.Max();
        if (low == high)
        {
            return;
        }

        PeersTable.Row rss = _table.Add("7", $"memory per added stream, {low} -> {high} x 720p: RSS, MiB", "F2", Goal.None);
        PeersTable.Row pss = _table.Add("7", $"memory per added stream, {low} -> {high} x 720p: PSS, MiB", "F2", Goal.None);
        foreach (ServerKind server in _servers)
        {
            if (_ingest.TryGetValue((server.Name, low), out IngestScenario.Result? first) && _ingest.TryGetValue((server.Name, high), out IngestScenario.Result? last))
            {
                rss.Set(server.Name, (last.PeakRssBytes - first.PeakRssBytes) / 1048576.0 / (high - low));
                pss.Set(server.Name, (last.PeakPssBytes - first.PeakPssBytes) / 1048576.0 / (high - low));
            }
            else
            {
                rss.SetFailed(server.Name, "no scenario 1 figure");
                pss.SetFailed(server.Name, "no scenario 1 figure");
            }
        }
    }

    /// <summary>
    /// Scenarios 4 and 5 put the gateway next to nginx (what the issue compares there): running them
    /// against Node-Media-Server too would take the whole bench past 20 minutes. NMS 2.7.4 served
    /// 0.1x the gateway's segments and playlists, and fanned out at 0.2x its CPU per viewer (2026-11-24).
    /// </summary>
    private ServerKind[] GatewayAndNginx => [.. _servers.Where(s => s.Name is GatewayServer.Label or NginxRtmpServer.Label)];

    private void Failed(PeersTable.Row[] rows, ServerKind server, Exception e)
    {
        _failed = true;
        Console.Error.WriteLine($"bench: {server.Name}: {e}");
        foreach (PeersTable.Row row in rows)
        {
            row.SetFailed(server.Name, e.GetType().Name);
        }
    }

    private static string? ErrorNote(WrkResult r) => r.Errors > 0 ? $"{r.Errors} errors" : null;
}
