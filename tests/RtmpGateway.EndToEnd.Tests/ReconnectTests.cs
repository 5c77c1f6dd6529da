using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// A real ffmpeg publisher that drops (killed: no unpublish) and comes back to the same name, read by
/// real HTTP clients and ffmpeg: within the grace period the same playlists go on after one
/// discontinuity; without a comeback the stream ends when the grace period is over.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class ReconnectTests : IAsyncLifetime
{
    private const int GraceSeconds = 5;
    private GatewayInstance _gateway = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync(
        "--Packaging:ReconnectGrace", $"00:00:0{GraceSeconds}", "--Packaging:PlaylistSegments", "12", "--Packaging:RetainedSegments", "12");

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
    }

    private Uri Url(string path) => new(_gateway.HttpBase, path);

    /// <summary>
    /// Waits until the RTMP log has told <paramref name="count"/> times that a publisher of the stream left
    /// (dropped or unpublished): by then the packager has handled it.
    /// </summary>
    private static Task WaitForUnpublishedAsync(GatewayInstance gateway, string name, int count)
        => Poll.UntilAsync(
            () => gateway.Logs.Lines.Count(l => l.Contains($" unpublished live/{name}:", StringComparison.Ordinal)) >= count,
            TimeSpan.FromSeconds(20),
            () => $"fewer than {count} unpublish lines for live/{name}:\n" + string.Join('\n', gateway.Logs.Lines));

    private async Task<MediaPlaylist> PlaylistAsync(string name, string rendition = "source")
        => MediaPlaylist.Parse(await _http.GetStringAsync(Url($"/live/{name}/{rendition}/index.m3u8")));

    /// <summary>Publishes until the source playlist lists <paramref name="segments"/> segments, then kills the publisher (a dropped connection).</summary>
    private async Task<MediaPlaylist> PublishThenDropAsync(string name, int segments)
    {
        await using ToolProcess publisher = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", name), seconds: 60, 320, 240));
        await _gateway.GetWhenReadyAsync(_http, $"/live/{name}/source/index.m3u8", TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        MediaPlaylist playlist;
        while ((playlist = await PlaylistAsync(name)).Segments.Count < segments)
        {
            Assert.True(DateTime.UtcNow < deadline, "the first publisher made too few segments:\n" + playlist.Text);
            await Task.Delay(200);
        }

        return playlist;
    }

    [Fact]
    public async Task Reconnect_WithinGrace_SamePlaylistsGoOnAfterOneDiscontinuity()
    {
        MediaPlaylist before = await PublishThenDropAsync("again", 3);
        await WaitForUnpublishedAsync(_gateway, "again", 1);

        // While it is away: live playlists (no ENDLIST), a dynamic MPD.
        MediaPlaylist away = await PlaylistAsync("again");
        Assert.False(away.Ended, away.Text);
        Assert.Contains("type=\"dynamic\"", await _http.GetStringAsync(Url("/live/again/manifest.mpd")), StringComparison.Ordinal);

        DateTimeOffset reconnected = DateTimeOffset.UtcNow;
        await using (ToolProcess again = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "again"), seconds: 7, 320, 240)))
        {
            Assert.Equal(0, await again.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        await WaitForUnpublishedAsync(_gateway, "again", 2);
        MediaPlaylist after = await PlaylistAsync("again");
        Assert.True(after.Ended, after.Text);

        // Media sequence numbers never went back: one numbering through both publishes, the first
        // publisher's segments still listed, then exactly one discontinuity.
        Assert.Equal(before.MediaSequence, after.MediaSequence);
        Assert.All(after.Segments, s => Assert.Equal(s.Sequence, MediaPlaylist.SequenceInUri(s.Uri)));
        MediaPlaylist.Segment cut = Assert.Single(after.Segments, s => s.Discontinuity);
        Assert.True(cut.Sequence > before.Segments[^1].Sequence, after.Text);
        Assert.All(after.Segments, s => Assert.Equal(s.Sequence < cut.Sequence ? 0 : 1, s.DiscontinuitySequence));
        Assert.True(after.Segments.Count(s => s.Sequence >= cut.Sequence) >= 3, after.Text);
        Assert.All(after.Segments, s => Assert.True(s.Duration <= after.TargetDuration + 0.5, after.Text));

        // Program date-time stays wall clock: the first new segment is dated when the new publisher started.
        Assert.InRange(cut.ProgramDateTime!.Value, reconnected, reconnected.AddSeconds(3));

        // The audio rendition breaks at the same segment.
        MediaPlaylist audio = await PlaylistAsync("again", "audio");
        Assert.Equal(cut.Sequence, Assert.Single(audio.Segments, s => s.Discontinuity).Sequence);

        // Decode times keep increasing across the reconnect (tfdt of the segments around it).
        MediaPlaylist.Segment last = after.Segments.Last(s => s.Sequence < cut.Sequence);
        byte[] lastBytes = await _http.GetByteArrayAsync(Url("/live/again/source/" + last.Uri));
        byte[] cutBytes = await _http.GetByteArrayAsync(Url("/live/again/source/" + cut.Uri));
        Assert.True(Mp4Boxes.BaseMediaDecodeTime(cutBytes) >= Mp4Boxes.BaseMediaDecodeTime(lastBytes) + (long)(last.Duration * 90_000) - 90);

        // DASH: a second Period at the reconnect, static now.
        string mpd = await _http.GetStringAsync(Url("/live/again/manifest.mpd"));
        Assert.Contains("type=\"static\"", mpd, StringComparison.Ordinal);
        Assert.Contains("<Period id=\"0\"", mpd, StringComparison.Ordinal);
        Assert.Contains("<Period id=\"1\"", mpd, StringComparison.Ordinal);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"startNumber=\"{cut.Sequence}\""), mpd, StringComparison.Ordinal);

        // ffmpeg plays the whole HLS presentation, across the discontinuity, without an error.
        await using ToolProcess reader = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(90), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", Url("/live/again/index.m3u8").ToString(), "-map", "0:v", "-f", "framemd5", "-");
        Assert.True(reader.ExitCode == 0 && reader.StdErr.Trim().Length == 0, reader.StdErr);
        int frames = reader.StdOut.Split('\n').Count(l => l.StartsWith("0,", StringComparison.Ordinal));
        Assert.InRange(frames, (int)(after.Segments.Sum(s => s.Duration) * 30) - 10, (int)(after.Segments.Sum(s => s.Duration) * 30) + 10);
    }

    [Fact]
    public async Task Drop_NoComeback_EndsWhenTheGraceIsOver()
    {
        await PublishThenDropAsync("gone", 2);
        var dropped = System.Diagnostics.Stopwatch.StartNew();
        await WaitForUnpublishedAsync(_gateway, "gone", 1);

        // Live until the grace is over.
        Assert.False((await PlaylistAsync("gone")).Ended);
        Assert.Contains("type=\"dynamic\"", await _http.GetStringAsync(Url("/live/gone/manifest.mpd")), StringComparison.Ordinal);

        await _gateway.Logs.WaitForLineAsync(l => l.Contains($"live/gone: ended (no publisher came back within {GraceSeconds} s)", StringComparison.Ordinal), TimeSpan.FromSeconds(GraceSeconds + 5));
        Assert.InRange(dropped.Elapsed.TotalSeconds, GraceSeconds - 1, GraceSeconds + 3);
        MediaPlaylist ended = await PlaylistAsync("gone");
        Assert.True(ended.Ended, ended.Text);
        Assert.DoesNotContain(ended.Segments, s => s.Discontinuity);
        Assert.Contains("type=\"static\"", await _http.GetStringAsync(Url("/live/gone/manifest.mpd")), StringComparison.Ordinal);

        // A publish after that is a new presentation: new names, numbering from 1.
        await using ToolProcess next = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(_gateway.RtmpUrl("live", "gone"), seconds: 4, 320, 240));
        Assert.Equal(0, await next.WaitAsync(TimeSpan.FromSeconds(60)));
        await WaitForUnpublishedAsync(_gateway, "gone", 2);
        MediaPlaylist fresh = await PlaylistAsync("gone");
        Assert.Equal(1, fresh.MediaSequence);
        Assert.NotEqual(ended.Segments[0].Uri.Split('-')[1], fresh.Segments[0].Uri.Split('-')[1]);
    }

    [Fact]
    public async Task Reconnect_WithLadder_RungsContinueAtTheSameDiscontinuity()
    {
        string dir = Directory.CreateTempSubdirectory("rtmpgw-reconnect-ladder-").FullName;
        await using GatewayInstance gateway = await GatewayInstance.StartAsync(
            "--Transcoding:Preset", "default", "--Packaging:ReconnectGrace", "00:00:10", "--Packaging:PlaylistSegments", "12", "--Packaging:RetainedSegments", "12");
        try
        {
            // 854x480: the default preset adds one rung, 360p. The first publisher is stopped in the
            // middle of a file long enough for any start-up (a drop, not an unpublish); the second
            // one publishes a shorter file to its end.
            string longer = Path.Combine(dir, "480p-20s.flv");
            string source = Path.Combine(dir, "480p.flv");
            await Ffmpeg.MakeSourceFileAsync(longer, 20, 854, 480);
            await Ffmpeg.MakeSourceFileAsync(source, 8, 854, 480);
            await using (ToolProcess first = ToolProcess.Start("ffmpeg", Ffmpeg.PublishFile(longer, gateway.RtmpUrl("live", "rungs"))))
            {
                await gateway.Logs.WaitForLineAsync(l => l.Contains("live/rungs: ladder default with 360p", StringComparison.Ordinal), TimeSpan.FromSeconds(20));
                await gateway.GetWhenReadyAsync(_http, "/live/rungs/360p/index.m3u8", TimeSpan.FromSeconds(20));
                await Task.Delay(TimeSpan.FromSeconds(5));
                Assert.False(first.HasExited, "the first publisher ended its file before it was dropped");
            }

            await WaitForUnpublishedAsync(gateway, "rungs", 1);
            await gateway.Logs.WaitForLineAsync(l => l.Contains("live/rungs: publisher lost", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
            await using (ToolProcess second = ToolProcess.Start("ffmpeg", Ffmpeg.PublishFile(source, gateway.RtmpUrl("live", "rungs"))))
            {
                Assert.Equal(0, await second.WaitAsync(TimeSpan.FromSeconds(60)));
            }

            await WaitForUnpublishedAsync(gateway, "rungs", 2);
            MediaPlaylist sourceList = MediaPlaylist.Parse(await _http.GetStringAsync(new Uri(gateway.HttpBase, "/live/rungs/source/index.m3u8")));
            MediaPlaylist rungList = MediaPlaylist.Parse(await _http.GetStringAsync(new Uri(gateway.HttpBase, "/live/rungs/360p/index.m3u8")));
            long cut = Assert.Single(sourceList.Segments, s => s.Discontinuity).Sequence;
            Assert.Equal(cut, Assert.Single(rungList.Segments, s => s.Discontinuity).Sequence);
            Assert.All(rungList.Segments, s => Assert.Equal(s.Sequence, MediaPlaylist.SequenceInUri(s.Uri)));
            Assert.True(rungList.Segments.Count(s => s.Sequence >= cut) >= 3, rungList.Text);
            Assert.True(rungList.Segments.Count(s => s.Sequence < cut) >= 2, rungList.Text);

            // The rung's segments of both publishes sit where the source's are, and decode.
            Assert.All(rungList.Segments, r => Assert.Equal(sourceList.Segments.Single(s => s.Sequence == r.Sequence).Duration, r.Duration, 0.05));
            await using ToolProcess reader = await ToolProcess.RunAsync(
                TimeSpan.FromSeconds(90), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-i", new Uri(gateway.HttpBase, "/live/rungs/360p/index.m3u8").ToString(), "-f", "null", "-");
            Assert.True(reader.ExitCode == 0 && reader.StdErr.Trim().Length == 0, reader.StdErr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
