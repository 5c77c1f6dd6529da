using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Server.Live;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// The HTTP side's configured limits with real HTTP clients on loopback: held LL-HLS requests, the
/// per-address rate limit, and a reader slower than the minimum data rate.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed partial class HttpLimitsTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _out;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _dir = Directory.CreateTempSubdirectory("rtmpgw-httplimits-").FullName;
    private GatewayInstance? _gateway;

    public HttpLimitsTests(ITestOutputHelper output)
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

        Directory.Delete(_dir, recursive: true);
    }

    private Uri Url(string path) => new(_gateway!.HttpBase, path);

    private StreamOutput Output(string name) => _gateway!.Services.GetRequiredService<PackagingService>().Find("live", name)!;

    /// <summary>An HttpClient whose connections leave from <paramref name="localAddress"/>, with an optional small receive buffer.</summary>
    private static HttpClient ClientFrom(IPAddress localAddress, int receiveBufferSize = 0) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (receiveBufferSize > 0)
                {
                    // Before connect, so the advertised window is small from the start.
                    socket.ReceiveBufferSize = receiveBufferSize;
                }

                socket.Bind(new IPEndPoint(localAddress, 0));
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task ParkedRequests_OverMaxParkedRequests_BlockingReloadAndHintedPartGet503WithRetryAfterAtOnce()
    {
        _gateway = await GatewayInstance.StartAsync("--Http:MaxParkedRequests", "2");
        ParkedRequests parked = _gateway.Services.GetRequiredService<ParkedRequests>();
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "parked"), seconds: 8, width: 320, height: 240));
        await _gateway.GetWhenReadyAsync(_http, "/live/parked/source/index.m3u8", TimeSpan.FromSeconds(20));
        await _gateway.GetWhenReadyAsync(_http, "/live/parked/audio/index.m3u8", TimeSpan.FromSeconds(20));

        // Two requests for the segment after next hold both slots for a second or more.
        (long videoMsn, _) = Output("parked").Find("source")!.LastPart();
        (long audioMsn, _) = Output("parked").Find("audio")!.LastPart();
        Task<HttpResponseMessage> heldVideo = _http.GetAsync(Url($"/live/parked/source/index.m3u8?_HLS_msn={videoMsn + 2}"));
        Task<HttpResponseMessage> heldAudio = _http.GetAsync(Url($"/live/parked/audio/index.m3u8?_HLS_msn={audioMsn + 2}"));
        await Poll.UntilAsync(() => parked.Count >= 2, TimeSpan.FromSeconds(5), () => $"{parked.Count} of 2 reloads parked");

        // A third blocking reload, and a request for the hinted part, are refused at once.
        (long msn, _) = Output("parked").Find("source")!.LastPart();
        using (HttpResponseMessage refused = await _http.GetAsync(Url($"/live/parked/source/index.m3u8?_HLS_msn={msn + 2}")))
        {
            AssertBusy(refused);
        }

        // The hinted part may be produced between the playlist and the request (then it is served
        // without waiting): ask again with the next hint.
        HttpStatusCode hinted = HttpStatusCode.OK;
        for (int attempt = 0; attempt < 3 && hinted != HttpStatusCode.ServiceUnavailable; attempt++)
        {
            string playlist = await _http.GetStringAsync(Url("/live/parked/source/index.m3u8"));
            string hint = PreloadHint().Match(playlist).Groups[1].Value;
            using HttpResponseMessage part = await _http.GetAsync(Url($"/live/parked/source/{hint}"));
            hinted = part.StatusCode;
            if (hinted == HttpStatusCode.ServiceUnavailable)
            {
                AssertBusy(part);
            }
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, hinted);
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("requests are held waiting for media, the limit (Http:MaxParkedRequests)", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // The held ones are answered when their segment exists, and free their slots.
        using (HttpResponseMessage video = await heldVideo)
        using (HttpResponseMessage audio = await heldAudio)
        {
            Assert.Equal(HttpStatusCode.OK, video.StatusCode);
            Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        }

        Assert.Equal(0, parked.Count);
        (msn, _) = Output("parked").Find("source")!.LastPart();
        using (HttpResponseMessage again = await _http.GetAsync(Url($"/live/parked/source/index.m3u8?_HLS_msn={msn + 1}")))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static void AssertBusy(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [GeneratedRegex("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"([^\"]+)\"")]
    private static partial Regex PreloadHint();

    [Fact]
    public async Task RateLimit_ClientOverItsRate_Gets429WithRetryAfter_OtherAddressesAndHealthAreNot()
    {
        _gateway = await GatewayInstance.StartAsync("--Http:RateLimitPerSecond", "5", "--Http:RateLimitBurst", "10");

        // As from a player page elsewhere: the 429 must carry CORS headers, or the page cannot see it.
        _http.DefaultRequestHeaders.Add("Origin", "https://player.example");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 30; i++)
        {
            HttpResponseMessage response = await _http.GetAsync(Url("/live/nothing/index.m3u8"));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= response;
            }
            else
            {
                response.Dispose();
            }
        }

        _out.WriteLine(string.Join(' ', statuses.Select(s => (int)s)));

        // The burst passes (the stream does not exist: 404), then the bucket is empty.
        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.True(statuses.Count(s => s == HttpStatusCode.TooManyRequests) >= 10, "fewer than 10 of 30 back-to-back requests were limited at 5/s");
        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "429 without Retry-After");
        Assert.Equal("*", limited.Headers.GetValues("Access-Control-Allow-Origin").Single());
        limited.Dispose();

        // Not the health check, not another address.
        Assert.Equal("ok", await _http.GetStringAsync(Url("/health")));
        using HttpClient other = ClientFrom(IPAddress.Parse("127.0.0.2"));
        using (HttpResponseMessage fromOther = await other.GetAsync(Url("/live/nothing/index.m3u8")))
        {
            Assert.Equal(HttpStatusCode.NotFound, fromOther.StatusCode);
        }

        // The bucket refills at 5 a second.
        await Task.Delay(1200);
        using HttpResponseMessage later = await _http.GetAsync(Url("/live/nothing/index.m3u8"));
        Assert.Equal(HttpStatusCode.NotFound, later.StatusCode);
    }

    [Fact]
    public async Task SlowReader_BelowMinResponseDataRate_IsDisconnected_WhileANormalReaderGetsTheSegment()
    {
        // The segment must outlast the socket buffers (Linux grows a loopback send buffer up to
        // 4 MB), or Kestrel's writes all complete and there is no slow write to time: ~18 Mbit/s
        // in 4 s segments, ~9 MB. At 4 MB/s with a 2 s grace it must be read within ~3 s; the reader
        // below takes 10 KB/s, far above Kestrel's own 240 B/s, so only the configured rate ends it.
        _gateway = await GatewayInstance.StartAsync(
            "--Http:MinResponseDataRate", "4000000", "--Http:DataRateGracePeriod", "00:00:02", "--Packaging:SegmentTarget", "00:00:04");
        string source = Path.Combine(_dir, "720p-24M.flv");
        await Ffmpeg.MakeSourceFileAsync(source, 9, 1280, 720, videoBitrate: "24M");
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishFile(source, _gateway.RtmpUrl("live", "big")));

        string segment = "";
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (segment.Length == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "no segment within 30 s");
            await Task.Delay(200);
            using HttpResponseMessage response = await _http.GetAsync(Url("/live/big/source/index.m3u8"));
            if (response.IsSuccessStatusCode)
            {
                segment = (await response.Content.ReadAsStringAsync()).Split('\n').FirstOrDefault(l => l.StartsWith("seg-", StringComparison.Ordinal)) ?? "";
            }
        }

        byte[] whole = await _http.GetByteArrayAsync(Url($"/live/big/source/{segment}"));
        _out.WriteLine($"{segment}: {whole.Length} bytes");
        Assert.True(whole.Length > 6_000_000, $"segment of {whole.Length} bytes: too small to outlast the socket buffers");

        using HttpClient slow = ClientFrom(IPAddress.Loopback, receiveBufferSize: 4096);
        using HttpResponseMessage slowResponse = await slow.GetAsync(Url($"/live/big/source/{segment}"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, slowResponse.StatusCode);
        await using Stream body = await slowResponse.Content.ReadAsStreamAsync();
        long received = 0;
        bool cut = false;
        var reading = System.Diagnostics.Stopwatch.StartNew();
        byte[] buffer = new byte[1024];
        while (reading.Elapsed < TimeSpan.FromSeconds(20))
        {
            int n;
            try
            {
                n = await body.ReadAsync(buffer);
            }
            catch (HttpIOException)
            {
                cut = true;
                break;
            }
            catch (IOException)
            {
                cut = true;
                break;
            }

            if (n == 0)
            {
                // A clean end before Content-Length cannot happen with HttpClient (it throws); be explicit anyway.
                cut = received < whole.Length;
                break;
            }

            received += n;
            await Task.Delay(100);
        }

        _out.WriteLine($"slow reader: {received} of {whole.Length} bytes in {reading.Elapsed.TotalSeconds:F1} s, cut: {cut}");
        Assert.True(cut, $"a reader at 10 KB/s kept its connection for {reading.Elapsed.TotalSeconds:F0} s ({received} of {whole.Length} bytes)");
        Assert.True(received < whole.Length);
        Assert.Equal(0, await publisher.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
