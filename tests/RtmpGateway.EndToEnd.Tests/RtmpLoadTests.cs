using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Server.Rtmp;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// Load, bounded in count and time, on loopback only: a thousand sockets that never finish (or
/// never start) a handshake, held open next to eight real ffmpeg publishers and HTTP viewers.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class RtmpLoadTests : IAsyncLifetime
{
    private const int IdleSockets = 1000;
    private const int Publishers = 8;
    private const int PublishSeconds = 14;

    private readonly ITestOutputHelper _out;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _dir = Directory.CreateTempSubdirectory("rtmpgw-load-").FullName;
    private readonly List<Socket> _sockets = [];
    private GatewayInstance _gateway = null!;

    public RtmpLoadTests(ITestOutputHelper output)
    {
        _out = output;
    }

    // Loopback is one address: the per-address limit is raised for the test. Handshake deadline of
    // a minute so that the gateway holds the sockets for the whole test, as under a slow-loris attack
    // that keeps reconnecting (the deadline itself has its own test).
    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(
        "--Rtmp:MaxConnectionsPerIp", "5000", "--Rtmp:HandshakeTimeout", "00:01:00");

    public async Task DisposeAsync()
    {
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }

        _http.Dispose();
        await _gateway.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Load_ThousandHalfOpenAndIdleSockets_EightFfmpegPublishersAllLive_MemoryBounded()
    {
        RtmpListenerService listener = _gateway.Services.GetRequiredService<RtmpListenerService>();

        // A cheap source: 320x240, 1 s GOP, 300 kbit/s, encoded once and published with -c copy.
        string source = Path.Combine(_dir, "small.flv");
        await Ffmpeg.MakeSourceFileAsync(source, 6, 320, 240, videoBitrate: "300k", gopFrames: 30);

        // Each socket takes two descriptors in this process (the gateway runs in it), each ffmpeg a few.
        int sockets = SocketsWithinDescriptorLimit();
        (long managedBefore, long rssBefore) = Memory(collect: true);

        // Half send C0 and part of C1 and stall; half send nothing at all.
        await Parallel.ForEachAsync(Enumerable.Range(0, sockets), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            await socket.ConnectAsync(_gateway.RtmpEndPoint, token);
            if (i % 2 == 0)
            {
                byte[] partial = new byte[1 + 700];
                partial[0] = 3;
                await socket.SendAsync(partial, token);
            }
        });
        await Poll.UntilAsync(() => listener.CountedConnections >= sockets, TimeSpan.FromSeconds(30), () => $"{listener.CountedConnections} of {sockets} sockets accepted");
        (long managedHeld, long rssHeld) = Memory(collect: true);

        var peak = new Peak();
        using var sampling = new CancellationTokenSource();
        Task sampler = SampleAsync(peak, sampling.Token);

        var publishers = new List<ToolProcess>();
        long managedLoaded;
        try
        {
            for (int p = 0; p < Publishers; p++)
            {
                publishers.Add(ToolProcess.Start(
                    "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", source,
                    "-t", PublishSeconds.ToString(CultureInfo.InvariantCulture), "-c", "copy", "-f", "flv", _gateway.RtmpUrl("live", $"load{p}")));
            }

            // Every publisher's playlist goes live, and HTTP viewers (two per stream) follow each
            // stream's newest segment while the sockets are held.
            string[] playlists = await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p =>
                _gateway.GetWhenReadyAsync(_http, $"/live/load{p}/source/index.m3u8", TimeSpan.FromSeconds(30))));
            Assert.All(playlists, text => Assert.Contains("#EXT-X-PART:", text, StringComparison.Ordinal));
            int[] segmentsFetched = await Task.WhenAll(Enumerable.Range(0, Publishers * 2).Select(v => ViewAsync($"load{v % Publishers}", TimeSpan.FromSeconds(6))));

            // What the gateway retains with everything running: live objects only, after a full collection.
            (managedLoaded, _) = Memory(collect: true);

            int[] exitCodes = await Task.WhenAll(publishers.Select(p => p.WaitAsync(TimeSpan.FromSeconds(PublishSeconds + 30))));
            for (int p = 0; p < Publishers; p++)
            {
                Assert.True(exitCodes[p] == 0, $"publisher load{p} exited with {exitCodes[p]}: {publishers[p].StdErr}");
            }

            Assert.All(segmentsFetched, n => Assert.True(n >= 3, $"a viewer fetched only {n} segments in 6 s"));
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            foreach (ToolProcess p in publishers)
            {
                await p.DisposeAsync();
            }
        }

        // No publisher refused, every stream carried its frames, and the sockets were held throughout.
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("refused", StringComparison.Ordinal));
        for (int p = 0; p < Publishers; p++)
        {
            await _gateway.Logs.WaitForLineAsync(l => l.Contains($"unpublished live/load{p}: ", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        }

        Assert.True(listener.CountedConnections >= sockets, $"only {listener.CountedConnections} of the {sockets} idle sockets still held");

        const long MiB = 1024 * 1024;
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{sockets} sockets: managed {managedBefore / MiB} MiB before, {managedHeld / MiB} MiB with the sockets, {managedLoaded / MiB} MiB with the publishers too (peak before collection {peak.Managed / MiB} MiB); RSS {rssBefore / MiB} -> {rssHeld / MiB} MiB, peak {peak.Rss / MiB} MiB"));

        // Bounds: an idle connection costs the gateway ~10 KB (its state, pipes, a 4 KB block for a
        // stalled handshake's bytes): 10 MiB for 1000; 8 streams of 300 kbit/s keep ~13 s of
        // segments and a GOP each, under 1 MiB a stream. Measured: +15 MiB managed, +21 MiB RSS at
        // the peak. 48 MiB managed is 3x that, yet a 64 KB buffer per connection (a receive buffer
        // allocated up front, the classic mistake) would not pass it; 128 MiB of RSS leaves the GC
        // room to grow its heap between collections (the managed peak before a collection was 2x).
        Assert.True(managedLoaded - managedBefore < 48 * MiB, $"managed memory grew {(managedLoaded - managedBefore) / MiB} MiB under load");
        Assert.True(peak.Rss - rssBefore < 128 * MiB, $"RSS grew {(peak.Rss - rssBefore) / MiB} MiB under load");
    }

    /// <summary>A viewer: fetches the playlist and any new segment every 300 ms; returns the segments fetched.</summary>
    private async Task<int> ViewAsync(string name, TimeSpan duration)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            string playlist = await _http.GetStringAsync(new Uri(_gateway.HttpBase, $"/live/{name}/source/index.m3u8"));
            string? newest = playlist.Split('\n').LastOrDefault(l => l.StartsWith("seg-", StringComparison.Ordinal));
            if (newest is not null && seen.Add(newest))
            {
                byte[] segment = await _http.GetByteArrayAsync(new Uri(_gateway.HttpBase, $"/live/{name}/source/{newest}"));
                Assert.True(segment.Length > 1000, $"{name}/{newest}: {segment.Length} bytes");
            }

            await Task.Delay(300);
        }

        return seen.Count;
    }

    /// <summary>How many sockets fit in the soft descriptor limit with room to spare; says so when fewer than wanted.</summary>
    private int SocketsWithinDescriptorLimit()
    {
        long soft = long.MaxValue;
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string value = line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                soft = value == "unlimited" ? long.MaxValue : long.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        int open = Directory.GetFiles("/proc/self/fd").Length;
        long available = (soft - open - 500) / 2;
        int sockets = (int)Math.Min(IdleSockets, available);
        _out.WriteLine($"descriptor limit {soft}, {open} open: {sockets} idle sockets");
        Assert.True(sockets >= IdleSockets / 2, $"descriptor limit {soft} leaves room for only {sockets} sockets (ulimit -n)");
        return sockets;
    }

    private static (long Managed, long Rss) Memory(bool collect)
    {
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: collect), process.WorkingSet64);
    }

    private sealed class Peak
    {
        public long Managed;
        public long Rss;
    }

    private static async Task SampleAsync(Peak peak, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            (long managed, long rss) = Memory(collect: false);
            peak.Managed = Math.Max(peak.Managed, managed);
            peak.Rss = Math.Max(peak.Rss, rss);
            try
            {
                await Task.Delay(200, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
