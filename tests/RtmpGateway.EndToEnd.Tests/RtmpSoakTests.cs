using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Server.Live;
using RtmpGateway.Server.Rtmp;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// Many publishes that come and go leave nothing behind: memory, threads and descriptors of the
/// process (the gateway runs in the test process) are flat, and an ended stream is released once
/// its retention passed.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class RtmpSoakTests : IAsyncLifetime
{
    private const int WarmUpCycles = 20;
    private const int Cycles = 200;

    // Each publish: two 1 s GOPs with 64 KB keyframes, so one finished segment, a GOP cache and
    // chunk-reader buffers of 64 KB: ~200 KB a publish that a leak would keep, 40 MB over the soak.
    private const int KeyframeBytes = 64_000;

    private readonly ITestOutputHelper _out;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private GatewayInstance? _gateway;

    public RtmpSoakTests(ITestOutputHelper output)
    {
        _out = output;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    private RtmpListenerService Listener => _gateway!.Services.GetRequiredService<RtmpListenerService>();

    private PackagingService Packaging => _gateway!.Services.GetRequiredService<PackagingService>();

    /// <summary>Connect, publish, two GOPs, then either deleteStream and close, or just drop the socket.</summary>
    private async Task CycleAsync(string name, bool clean)
    {
        await using RawRtmpClient client = await RawRtmpClient.ConnectAsync(_gateway!.RtmpEndPoint);
        Assert.Equal(NetStatus.PublishStart, await client.PublishAsync(name));
        await SyntheticPublish.SendGopsAsync(client, gops: 2, KeyframeBytes);
        if (clean)
        {
            await client.SendCommandAsync(client.StreamId, "deleteStream", 0, null, (double)client.StreamId);
        }
    }

    /// <summary>Until every connection is closed and uncounted, and no stream is live.</summary>
    private Task SettleAsync()
        => Poll.UntilAsync(
            () => Listener.ConnectionCount == 0 && Listener.CountedConnections == 0 && _gateway!.Hub.Streams.Count == 0,
            TimeSpan.FromSeconds(20),
            () => $"{Listener.ConnectionCount} connections, {_gateway!.Hub.Streams.Count} streams still open");

    private readonly record struct Snapshot(long Managed, long Heap, int Threads, int Descriptors)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"managed {Managed / 1024} KiB, GC heap {Heap / 1024} KiB, {Threads} threads, {Descriptors} descriptors");
    }

    private static Snapshot Measure()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return new Snapshot(
            GC.GetTotalMemory(forceFullCollection: true),
            GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes,
            process.Threads.Count,
            Directory.GetFiles("/proc/self/fd").Length);
    }

    [Fact]
    public async Task Soak_200PublishDisconnectCycles_ManagedMemoryThreadsAndDescriptorsStayFlat()
    {
        // Ended streams are kept for Packaging:EndedRetention (60 s by default), which would look
        // like a leak here: 0 releases them at once (the next test checks a real retention). The
        // per-address limit stays at its default of 100: 220 connections from one address pass only
        // if every closed one is uncounted. Dropped publishers would wait Packaging:ReconnectGrace
        // (15 s) for a comeback before ending; 0 ends them at once too.
        _gateway = await GatewayInstance.StartAsync("--Packaging:EndedRetention", "00:00:00", "--Packaging:ReconnectGrace", "00:00:00");

        for (int i = 0; i < WarmUpCycles; i++)
        {
            await CycleAsync($"warm{i}", clean: i % 2 == 0);
        }

        await SettleAsync();
        Snapshot before = Measure();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < Cycles; i++)
        {
            await CycleAsync($"soak{i}", clean: i % 2 == 0);
        }

        TimeSpan elapsed = watch.Elapsed;
        await SettleAsync();
        for (int i = 0; i < Cycles; i++)
        {
            Assert.Null(Packaging.Find("live", $"soak{i}"));
        }

        Snapshot after = Measure();
        _out.WriteLine($"{Cycles} cycles in {elapsed.TotalSeconds:F1} s");
        _out.WriteLine($"before: {before}");
        _out.WriteLine($"after:  {after}");

        // A leaked publish keeps ~200 KB (see KeyframeBytes): 200 of them 40 MB. 8 MiB covers the
        // pools (ArrayPool, Kestrel's slabs, the thread pool's queues) settling at other sizes.
        Assert.True(after.Managed - before.Managed < 8 * 1024 * 1024, $"managed memory grew from {before.Managed} to {after.Managed} bytes");

        // A leaked connection keeps its socket (one descriptor) and, if its loops hang, a thread
        // pool thread busy or blocked: 200 each. The thread pool may add or retire a few workers
        // between measurements, and the test process shares its descriptor table with the other
        // tests' leftovers (HTTP connection pools, pipes of tools still being reaped: +12 seen in a
        // full run), so the bound is 40, far below the 200 a per-cycle leak gives.
        Assert.True(after.Threads - before.Threads <= 10, $"threads grew from {before.Threads} to {after.Threads}");
        Assert.True(after.Descriptors - before.Descriptors <= 40, $"descriptors grew from {before.Descriptors} to {after.Descriptors}");
    }

    [Fact]
    public async Task EndedStream_AfterEndedRetention_IsServedThenRemovedAndCollected()
    {
        _gateway = await GatewayInstance.StartAsync("--Packaging:EndedRetention", "00:00:02", "--Packaging:ReconnectGrace", "00:00:00");
        WeakReference stream;
        WeakReference output;
        await using (RawRtmpClient client = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint))
        {
            Assert.Equal(NetStatus.PublishStart, await client.PublishAsync("retained"));
            await SyntheticPublish.SendGopsAsync(client, gops: 3, KeyframeBytes);
            await _gateway.GetWhenReadyAsync(_http, "/live/retained/source/index.m3u8", TimeSpan.FromSeconds(10));
            (stream, output) = Track("retained");
        }

        // Within the retention: the ended playlist, with ENDLIST.
        await SettleAsync();
        var ended = Stopwatch.StartNew();
        string playlist = await _http.GetStringAsync(new Uri(_gateway.HttpBase, "/live/retained/source/index.m3u8"));
        Assert.Contains("#EXT-X-ENDLIST", playlist, StringComparison.Ordinal);

        // After it: gone from HTTP, and nothing holds the stream or its segments any more.
        while (true)
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri(_gateway.HttpBase, "/live/retained/source/index.m3u8"));
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                break;
            }

            Assert.True(ended.Elapsed < TimeSpan.FromSeconds(10), $"still {(int)response.StatusCode} {ended.Elapsed.TotalSeconds:F1} s after the end, with a 2 s retention");
            await Task.Delay(100);
        }

        Measure();
        Assert.False(stream.IsAlive, "the ended HubStream is still referenced");
        Assert.False(output.IsAlive, "the removed StreamOutput is still referenced");
    }

    /// <summary>Weak references to a stream and its output, made outside any async state machine so no hidden local keeps them.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private (WeakReference Stream, WeakReference Output) Track(string name)
        => (new WeakReference(_gateway!.Hub.Find("live", name)!), new WeakReference(Packaging.Find("live", name)!));
}
