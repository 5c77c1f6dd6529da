using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Packaging.Live;
using RtmpGateway.Server.Live;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>Blocking playlist reload, delta updates and held parts against a live ffmpeg publish.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed partial class LowLatencyHlsTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _out;
    private GatewayInstance _gateway = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public LowLatencyHlsTests(ITestOutputHelper output)
    {
        _out = output;
    }

    // 1 s segments make CAN-SKIP-UNTIL 6 s, so a 12-segment window has segments to skip after ~8 s.
    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(
        "--Packaging:SegmentTarget", "00:00:01", "--Packaging:PlaylistSegments", "12", "--Packaging:RetainedSegments", "14");

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }

    private Uri Url(string path) => new(_gateway.HttpBase, path);

    private StreamOutput Output(string name) => _gateway.Services.GetRequiredService<PackagingService>().Find("live", name)!;

    [Fact]
    public async Task BlockingReload_NextPart_ReturnsOnlyOnceItExistsAndPromptly()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "block"), seconds: 14));
        string playlist = await _gateway.GetWhenReadyAsync(_http, "/live/block/source/index.m3u8", TimeSpan.FromSeconds(20));
        await Task.Delay(1000);

        var lags = new List<double>();
        for (int i = 0; i < 6; i++)
        {
            (long msn, int part) = Output("block").Find("source")!.LastPart();
            int wantedPart = part + 1;
            DateTimeOffset asked = DateTimeOffset.UtcNow;
            string text = await _http.GetStringAsync(Url($"/live/block/source/index.m3u8?_HLS_msn={msn}&_HLS_part={wantedPart}"));
            DateTimeOffset answered = DateTimeOffset.UtcNow;

            // The part exists in the answer (or, past a segment's end, the next segment's first part)...
            TrackSnapshot track = Output("block").Find("source")!;
            Assert.True(track.HasPart(msn, wantedPart));
            bool inSegment = track.FindSegment(msn) is { } seg && wantedPart < seg.Parts.Count;
            CmafPart produced = inSegment ? track.FindSegment(msn)!.Parts[wantedPart] : track.FindSegment(msn + 1)!.Parts[0];
            string uri = inSegment ? CmafNames.Part(Output("block").Session, msn, wantedPart) : CmafNames.Part(Output("block").Session, msn + 1, 0);
            Assert.Contains($"URI=\"{uri}\"", text, StringComparison.Ordinal);

            // ...it was not there when asked, and the answer came after it was made, not long after.
            Assert.True(produced.CreatedAt > asked, $"part made at {produced.CreatedAt:O}, asked at {asked:O}: it already existed");
            Assert.True(answered >= produced.CreatedAt, "answered before the part existed");
            lags.Add((answered - produced.CreatedAt).TotalMilliseconds);
            Assert.True(lags[^1] < 1000, $"answered {lags[^1]:F0} ms after the part was made");
        }

        _out.WriteLine($"blocking reload answered {lags.Average():F1} ms (max {lags.Max():F1} ms) after the part was made");
        Assert.NotEmpty(playlist);
    }

    [Fact]
    public async Task BlockingReload_FarAhead_Is400_AndExistingPartAnswersAtOnce()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "ahead"), seconds: 8, width: 320, height: 240));
        await _gateway.GetWhenReadyAsync(_http, "/live/ahead/source/index.m3u8", TimeSpan.FromSeconds(20));
        (long msn, int part) = Output("ahead").Find("source")!.LastPart();

        using HttpResponseMessage far = await _http.GetAsync(Url($"/live/ahead/source/index.m3u8?_HLS_msn={msn + 5}"));
        Assert.Equal(HttpStatusCode.BadRequest, far.StatusCode);
        using HttpResponseMessage farPart = await _http.GetAsync(Url($"/live/ahead/source/index.m3u8?_HLS_msn={msn}&_HLS_part={part + 20}"));
        Assert.Equal(HttpStatusCode.BadRequest, farPart.StatusCode);
        using HttpResponseMessage partWithoutMsn = await _http.GetAsync(Url("/live/ahead/source/index.m3u8?_HLS_part=1"));
        Assert.Equal(HttpStatusCode.BadRequest, partWithoutMsn.StatusCode);

        var sw = Stopwatch.StartNew();
        using HttpResponseMessage existing = await _http.GetAsync(Url($"/live/ahead/source/index.m3u8?_HLS_msn={msn}&_HLS_part={part}"));
        Assert.Equal(HttpStatusCode.OK, existing.StatusCode);
        _out.WriteLine($"existing part answered in {sw.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(sw.Elapsed < TimeSpan.FromMilliseconds(400), $"an existing part was held {sw.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task PreloadHintedPart_IsHeldUntilCompleteThenServed()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "hint"), seconds: 8, width: 320, height: 240));
        await _gateway.GetWhenReadyAsync(_http, "/live/hint/source/index.m3u8", TimeSpan.FromSeconds(20));
        string playlist = await _gateway.GetWhenReadyAsync(_http, "/live/hint/source/index.m3u8", TimeSpan.FromSeconds(20));
        string hint = PreloadHint().Match(playlist).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(hint), playlist);

        DateTimeOffset asked = DateTimeOffset.UtcNow;
        byte[] bytes = await _http.GetByteArrayAsync(Url("/live/hint/source/" + hint));
        DateTimeOffset answered = DateTimeOffset.UtcNow;
        Assert.Equal("moof"u8.ToArray(), bytes[4..8]);
        Assert.True(CmafNames.TryParsePart(hint, Output("hint").Session, out long msn, out int index));
        CmafPart part = Output("hint").Find("source")!.FindSegment(msn)!.Parts[index];
        Assert.Equal(part.Bytes.ToArray(), bytes);
        Assert.True(part.CreatedAt > asked && answered >= part.CreatedAt, $"asked {asked:O}, made {part.CreatedAt:O}, answered {answered:O}");
    }

    [Fact]
    public async Task DeltaUpdate_SkipYes_ListsOnlyTheRecentSegmentsOfTheFullPlaylist()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "delta"), seconds: 14, width: 320, height: 240));
        await _gateway.GetWhenReadyAsync(_http, "/live/delta/source/index.m3u8", TimeSpan.FromSeconds(20));
        await Poll.UntilAsync(() => Output("delta").Find("source")!.Segments.Count >= 10, TimeSpan.FromSeconds(30), () => $"{Output("delta").Find("source")!.Segments.Count} of 10 segments");

        (long msn, _) = Output("delta").Find("source")!.LastPart();
        string full = await _http.GetStringAsync(Url($"/live/delta/source/index.m3u8?_HLS_msn={msn + 1}"));
        string delta = await _http.GetStringAsync(Url($"/live/delta/source/index.m3u8?_HLS_msn={msn + 1}&_HLS_skip=YES"));

        int skipped = int.Parse(SkipTag().Match(delta).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(skipped > 0, delta);
        Assert.Contains("#EXT-X-VERSION:9", delta, StringComparison.Ordinal);
        string[] fullSegments = [.. full.Split('\n').Where(l => l.StartsWith("seg-", StringComparison.Ordinal))];
        string[] deltaSegments = [.. delta.Split('\n').Where(l => l.StartsWith("seg-", StringComparison.Ordinal))];
        Assert.Equal(fullSegments.Skip(skipped), deltaSegments);
        Assert.Contains("CAN-SKIP-UNTIL=6.0", full, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LowLatencyDash_SegmentInProduction_IsSentChunkByChunkWithTheFinishedBytes()
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "chunked"), seconds: 10, width: 320, height: 240));
        string mpd = await _gateway.GetWhenReadyAsync(_http, "/live/chunked/manifest.mpd", TimeSpan.FromSeconds(20));
        Assert.Contains("availabilityTimeComplete=\"false\"", mpd, StringComparison.Ordinal);

        // Ask for the segment after the newest complete one: it is being produced (or about to be).
        TrackSnapshot track = Output("chunked").Find("source")!;
        long sequence = track.Segments[^1].Sequence + 1;
        string file = CmafNames.Segment(Output("chunked").Session, sequence);
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/live/chunked/source/" + file));
        using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        DateTimeOffset headers = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked, "not chunked");
        byte[] streamed = await response.Content.ReadAsByteArrayAsync();

        // The whole segment arrived, as the finished segment's bytes, and the first bytes came before it was finished.
        CmafSegment finished = Output("chunked").Find("source")!.FindSegment(sequence)!;
        Assert.True(finished.IsComplete);
        Assert.True(headers < finished.Parts[^1].CreatedAt, $"headers at {headers:O}, last chunk made at {finished.Parts[^1].CreatedAt:O}");
        byte[] whole = await _http.GetByteArrayAsync(Url("/live/chunked/source/" + file));
        Assert.Equal(whole, streamed);
        Assert.Equal("styp"u8.ToArray(), streamed[4..8]);
    }

    [GeneratedRegex("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"([^\"]+)\"")]
    private static partial Regex PreloadHint();

    [GeneratedRegex(@"#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)")]
    private static partial Regex SkipTag();
}
