namespace RtmpGateway.Bench.Peers;

/// <summary>
/// Scenario 4, HTTP serving: wrk (2 threads, 64 connections) on one finished segment and on a media
/// playlist. The gateway serves its own from memory (a live stream's newest finished segment and its
/// LL-HLS media playlist, made per request); the peers serve the very same bytes from disk as static
/// files. All servers run at once, each ingesting one live stream as it would in production, so that
/// every wrk run sees the same background. After a 2 s warm-up run per URL, the measured runs go round
/// robin over the servers, three rounds, and each figure is the median of its three runs: on a shared
/// machine the load of others changes by the minute, and interleaving spreads it over all servers.
/// </summary>
internal static class ServingScenario
{
    private const int Rounds = 3;

    public sealed record Result(WrkResult Segment, WrkResult Playlist);

    public sealed record Served(int SegmentBytes, int PlaylistBytes, IReadOnlyDictionary<string, Result> Results, IReadOnlyDictionary<string, Exception> Failures);

    public static async Task<Served> RunAsync(PeerRun run, IReadOnlyList<ServerKind> kinds, int wrkSeconds)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(kinds);
        var servers = new List<StreamingServer>();
        var publishers = new List<BenchProcess>();
        var failures = new Dictionary<string, Exception>();
        try
        {
            foreach (ServerKind kind in kinds)
            {
                StreamingServer? server = null;
                try
                {
                    server = await kind.StartAsync(run.WorkDirectory, run.CancellationToken);
                    BenchProcess publisher = run.Publish(server, "serve", (2 * (Rounds + 1) * kinds.Count * wrkSeconds) + 60);
                    publishers.Add(publisher);
                    await run.WaitForSegmentsAsync(server.MediaPlaylist("serve"), publisher);
                    servers.Add(server);
                }
                catch (Exception e) when (!run.CancellationToken.IsCancellationRequested)
                {
                    failures[kind.Name] = e;
                    if (server is not null)
                    {
                        await server.DisposeAsync();
                    }
                }
            }

            GatewayServer gateway = servers.OfType<GatewayServer>().SingleOrDefault()
                ?? throw new InvalidOperationException("the gateway did not start: there are no bytes to serve");
            var segmentRuns = servers.ToDictionary(s => s.Name, _ => new List<WrkResult>());
            var playlistRuns = servers.ToDictionary(s => s.Name, _ => new List<WrkResult>());
            (int SegmentBytes, int PlaylistBytes) sizes = default;

            // Round -1 warms every server up (JIT, caches) with 2 s runs that are not counted.
            for (int round = -1; round < Rounds; round++)
            {
                (Dictionary<string, (Uri Segment, Uri Playlist)> urls, sizes) = await ShareGatewayBytesAsync(run, gateway, servers);
                foreach (StreamingServer server in servers)
                {
                    (Uri s, Uri p) = urls[server.Name];
                    int seconds = round < 0 ? 2 : wrkSeconds;
                    WrkResult segment = await Wrk.RunAsync(run.LogPath($"wrk-segment-{server.Name}"), s, seconds, run.CancellationToken);
                    WrkResult playlist = await Wrk.RunAsync(run.LogPath($"wrk-playlist-{server.Name}"), p, seconds, run.CancellationToken);
                    if (round >= 0)
                    {
                        segmentRuns[server.Name].Add(segment);
                        playlistRuns[server.Name].Add(playlist);
                    }
                }
            }

            return new Served(
                sizes.SegmentBytes,
                sizes.PlaylistBytes,
                servers.ToDictionary(s => s.Name, s => new Result(Median(segmentRuns[s.Name]), Median(playlistRuns[s.Name]))),
                failures);
        }
        finally
        {
            foreach (BenchProcess publisher in publishers)
            {
                await publisher.DisposeAsync();
            }

            foreach (StreamingServer server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>The run with the median request rate (its transfer rate with it); errors summed over all runs.</summary>
    private static WrkResult Median(List<WrkResult> runs)
    {
        WrkResult median = runs.OrderBy(r => r.RequestsPerSecond).ElementAt(runs.Count / 2);
        return median with { Errors = runs.Sum(r => r.Errors) };
    }

    /// <summary>
    /// The gateway's newest finished segment and its media playlist, and the same bytes placed as
    /// static files on every peer. The segment stays in the gateway's memory for RetainedSegments (13)
    /// x 2 s, so it is taken afresh for every round, and the gateway (the first server) is measured first.
    /// </summary>
    private static async Task<(Dictionary<string, (Uri Segment, Uri Playlist)> Urls, (int, int) Sizes)> ShareGatewayBytesAsync(
        PeerRun run, GatewayServer gateway, List<StreamingServer> servers)
    {
        Uri playlistUrl = gateway.MediaPlaylist("serve");
        MediaPlaylist now = await run.TryGetPlaylistAsync(playlistUrl) ?? throw new InvalidOperationException("the gateway's playlist is gone");
        Uri segmentUrl = new(playlistUrl, now.Segments[^1].Uri);
        byte[] segment = await run.Http.GetByteArrayAsync(segmentUrl, run.CancellationToken);
        byte[] playlist = await run.Http.GetByteArrayAsync(playlistUrl, run.CancellationToken);
        var urls = new Dictionary<string, (Uri, Uri)>();
        foreach (StreamingServer server in servers)
        {
            urls[server.Name] = server == gateway
                ? (segmentUrl, playlistUrl)
                : (server.PutStaticFile("segment.m4s", segment)!, server.PutStaticFile("index.m3u8", playlist)!);
        }

        return (urls, (segment.Length, playlist.Length));
    }
}
