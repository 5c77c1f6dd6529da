using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// The gateway as a process, stopped with SIGTERM while a real ffmpeg publishes and real HTTP clients
/// wait on it: every stream ends (last segment flushed, ENDLIST), the requests in flight complete,
/// the process exits 0 within HostOptions:ShutdownTimeout; a restarted gateway serves nothing old.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class GracefulShutdownTests(ITestOutputHelper output) : IDisposable
{
    private const int ShutdownTimeoutSeconds = 5;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose() => _http.Dispose();

    private static Task<GatewayProcess> StartAsync(int httpPort = 0)
        => GatewayProcess.StartAsync(httpPort, "--HostOptions:ShutdownTimeout", $"00:00:0{ShutdownTimeoutSeconds}");

    private async Task<MediaPlaylist> WaitForSegmentsAsync(GatewayProcess gateway, string name, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri(gateway.HttpBase, $"/live/{name}/source/index.m3u8"));
            if (response.IsSuccessStatusCode && MediaPlaylist.Parse(await response.Content.ReadAsStringAsync()) is { } playlist && playlist.Segments.Count >= count)
            {
                return playlist;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"fewer than {count} segments after 30 s");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Sigterm_WhileRequestsWait_StreamsEndRequestsCompleteExitZero()
    {
        await using GatewayProcess gateway = await StartAsync();
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(gateway.RtmpUrl("live", "bye"), seconds: 60, 320, 240));
        await WaitForSegmentsAsync(gateway, "bye", 2);

        // The encoder freezes (its connection stays open, nothing comes): what players wait for now
        // only comes with the end.
        await publisher.SignalAsync("STOP");
        try
        {
            await Task.Delay(500);
            string live = await _http.GetStringAsync(new Uri(gateway.HttpBase, "/live/bye/source/index.m3u8"));
            string hint = live.Split('\n').Single(l => l.StartsWith("#EXT-X-PRELOAD-HINT:", StringComparison.Ordinal)).Split('"')[1];
            string[] parts = hint["part-".Length..^".m4s".Length].Split('-')[1].Split('.');
            long msn = long.Parse(parts[0], CultureInfo.InvariantCulture);
            int part = int.Parse(parts[1], CultureInfo.InvariantCulture);
            string session = hint.Split('-')[1];

            // In flight: a blocking playlist reload for the hinted part, the hinted part itself, and the
            // segment in production (low-latency DASH, sent chunk by chunk).
            Task<HttpResponseMessage> reload = _http.GetAsync(new Uri(gateway.HttpBase, $"/live/bye/source/index.m3u8?_HLS_msn={msn}&_HLS_part={part}"));
            Task<HttpResponseMessage> hinted = _http.GetAsync(new Uri(gateway.HttpBase, "/live/bye/source/" + hint));
            Task<HttpResponseMessage> growing = _http.GetAsync(new Uri(gateway.HttpBase, $"/live/bye/source/seg-{session}-{msn}.m4s"), HttpCompletionOption.ResponseContentRead);
            await Task.Delay(700);
            Assert.False(reload.IsCompleted || hinted.IsCompleted || growing.IsCompleted, "the requests should still wait for the frozen publisher");

            var stopping = Stopwatch.StartNew();
            await gateway.SignalAsync("TERM");
            int exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 10));
            double exitSeconds = stopping.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exit {exitCode} {exitSeconds:F2} s after SIGTERM"));
            Assert.Equal(0, exitCode);
            Assert.True(exitSeconds < ShutdownTimeoutSeconds, $"exited {exitSeconds:F1} s after SIGTERM (the timeout is {ShutdownTimeoutSeconds} s)");

            // The blocking reload was answered with the final playlist: the segment flushed, ENDLIST.
            using HttpResponseMessage reloaded = await reload;
            Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
            MediaPlaylist last = MediaPlaylist.Parse(await reloaded.Content.ReadAsStringAsync());
            Assert.True(last.Ended, last.Text);
            Assert.Equal(msn, last.Segments[^1].Sequence);
            Assert.DoesNotContain("#EXT-X-PRELOAD-HINT", last.Text, StringComparison.Ordinal);

            // The hinted part is the flushed remainder of the segment; the growing segment is complete.
            using HttpResponseMessage partResponse = await hinted;
            Assert.Equal(HttpStatusCode.OK, partResponse.StatusCode);
            Assert.Equal("moof"u8.ToArray(), (await partResponse.Content.ReadAsByteArrayAsync())[4..8]);
            using HttpResponseMessage segmentResponse = await growing;
            Assert.Equal(HttpStatusCode.OK, segmentResponse.StatusCode);
            byte[] segment = await segmentResponse.Content.ReadAsByteArrayAsync();
            Assert.Equal(["styp", .. Enumerable.Repeat<string>("moof/mdat", part + 1)], TopLevelBoxes(segment));

            // The order the log tells: shutdown begins, the stream ends, the publisher is closed.
            string[] lines = [.. gateway.Lines];
            int shuttingDown = Array.FindIndex(lines, l => l.Contains("Application is shutting down", StringComparison.Ordinal));
            int ended = Array.FindIndex(lines, l => l.Contains("live/bye: ended (gateway shutting down)", StringComparison.Ordinal));
            Assert.True(shuttingDown >= 0 && ended > shuttingDown, string.Join('\n', lines));
        }
        finally
        {
            await publisher.SignalAsync("CONT");
        }
    }

    [Fact]
    public async Task Restart_OldStreamIsGone_NothingStaleIsServed()
    {
        int port = FreePort();
        string segmentPath;
        string initPath;
        await using (GatewayProcess first = await StartAsync(port))
        {
            await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(first.RtmpUrl("live", "again"), seconds: 60, 320, 240));
            MediaPlaylist playlist = await WaitForSegmentsAsync(first, "again", 2);
            segmentPath = "/live/again/source/" + playlist.Segments[0].Uri;
            initPath = "/live/again/source/" + playlist.Segments[0].Map;
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(first.HttpBase, segmentPath))).StatusCode);
            await first.SignalAsync("TERM");
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(ShutdownTimeoutSeconds + 10)));
        }

        // Same port, same URLs: nothing of the old stream, live or otherwise.
        await using GatewayProcess second = await StartAsync(port);
        foreach (string path in (string[])["/live/again/index.m3u8", "/live/again/source/index.m3u8", "/live/again/manifest.mpd", segmentPath, initPath])
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri(second.HttpBase, path));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
        }

        Assert.Equal("[]", await _http.GetStringAsync(new Uri(second.HttpBase, "/api/streams")));

        // A new publish of the same name is a new presentation: the old segment names stay unknown.
        await using ToolProcess again = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(second.RtmpUrl("live", "again"), seconds: 60, 320, 240));
        MediaPlaylist fresh = await WaitForSegmentsAsync(second, "again", 1);
        Assert.Equal(1, fresh.MediaSequence);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri(second.HttpBase, segmentPath))).StatusCode);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The top-level box types, moof+mdat pairs folded into "moof/mdat"; a box running past the end fails.</summary>
    private static List<string> TopLevelBoxes(byte[] data)
    {
        var boxes = new List<string>();
        int offset = 0;
        while (offset < data.Length)
        {
            Assert.True(offset + 8 <= data.Length, "truncated box header");
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(offset));
            string type = System.Text.Encoding.ASCII.GetString(data, offset + 4, 4);
            Assert.True(size >= 8 && offset + size <= data.Length, $"box {type} of {size} bytes runs past the end ({data.Length - offset} left)");
            if (type == "mdat" && boxes.Count > 0 && boxes[^1] == "moof")
            {
                boxes[^1] = "moof/mdat";
            }
            else
            {
                boxes.Add(type);
            }

            offset += size;
        }

        return boxes;
    }
}
