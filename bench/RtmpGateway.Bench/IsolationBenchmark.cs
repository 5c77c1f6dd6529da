using System.Diagnostics;
using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Hub;

namespace RtmpGateway.Bench;

/// <summary>
/// Whether one stream's outputs hold each other up (the stream hub's promise). A passthrough 720p
/// stream ("probe", 2.5 Mbit/s) is followed through LL-HLS blocking reloads, and each part's
/// lateness is the time its playlist listed it minus the program date-time of its end. Run once
/// alone, then beside: 30 RTMP viewers of the same stream that connect, play and never read; a hub
/// reader of the same stream that sleeps in its first frame (its drops are counted); and a second
/// 720p stream through the ladder. Also the probe publisher's frame rate in both runs: a publisher
/// held up by its readers would fall below the file's 30 fps. Printed as differences and ratios.
/// </summary>
internal static class IsolationBenchmark
{
    private const int Viewers = 30;

    public sealed record Result(double P50, double P95, int Parts, double PublisherFps, long StalledDropped, long StalledDropEvents, int ViewersLeft, double LadderFps);

    public static async Task RunAsync(int seconds, CancellationToken cancel)
    {
        // The source files are 60 s long; a publish must not loop within the measurement.
        seconds = Math.Clamp(seconds, 10, SourceFiles.Seconds - 20);
        string source = await SourceFiles.Source720pAsync().ConfigureAwait(false);
        Result alone = await RunOnceAsync(source, seconds, loaded: false, cancel).ConfigureAwait(false);
        Result loaded = await RunOnceAsync(source, seconds, loaded: true, cancel).ConfigureAwait(false);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Isolation: LL-HLS part lateness of one passthrough stream, alone and beside {Viewers} RTMP viewers that never read, a stalled hub reader and a 720p stream through the ladder ({seconds} s each, {Environment.ProcessorCount} cores)"));
        Console.WriteLine();
        // Lateness by program date-time can be negative (the date-time runs late, issue 20): no ratio then.
        Console.WriteLine("| measure | alone | loaded | loaded - alone | loaded / alone |");
        Console.WriteLine("|---|---|---|---|---|");
        Row("part lateness p50 (ms)", alone.P50 * 1000, loaded.P50 * 1000);
        Row("part lateness p95 (ms)", alone.P95 * 1000, loaded.P95 * 1000);
        Row("publisher frame rate (fps)", alone.PublisherFps, loaded.PublisherFps);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Parts measured: {alone.Parts} alone, {loaded.Parts} loaded. Stalled reader: {loaded.StalledDropped} frames dropped in {loaded.StalledDropEvents} drops to a keyframe. RTMP viewers that never read still connected at the end: {loaded.ViewersLeft} of {Viewers} (one past Rtmp:MaxViewerBacklogBytes is closed). Ladder stream ingest: {loaded.LadderFps:F1} fps."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The hub's promise holds when p95 grows by at most 50 ms: {(loaded.P95 - alone.P95 <= 0.050 ? "yes" : "NO")} ({(loaded.P95 - alone.P95) * 1000:F0} ms)."));
    }

    private static void Row(string label, double alone, double loaded)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {alone:F1} | {loaded:F1} | {loaded - alone:+0.0;-0.0;0.0} | {(alone > 0 ? (loaded / alone).ToString("F2", CultureInfo.InvariantCulture) : "-")} |"));

    private static async Task<Result> RunOnceAsync(string source, int seconds, bool loaded, CancellationToken cancel)
    {
        await using GatewayInstance gateway = await GatewayInstance.StartAsync(
            "--Transcoding:Preset", "passthrough", "--Transcoding:Streams:live.ladder", "default", "--Http:RateLimitPerSecond", "0").ConfigureAwait(false);
        int publishSeconds = seconds + 15;
        await using ToolProcess probe = Publish(gateway, source, "probe", publishSeconds);
        HubStream stream = await gateway.WaitForStreamAsync("live", "probe", TimeSpan.FromSeconds(20)).ConfigureAwait(false);

        var viewers = new List<RawRtmpClient>();
        StalledReader? stalled = null;
        ToolProcess? ladder = null;
        HubStream? ladderStream = null;
        try
        {
            if (loaded)
            {
                ladder = Publish(gateway, source, "ladder", publishSeconds);
                stalled = new StalledReader();
                stream.AddReader(stalled);
                for (int i = 0; i < Viewers; i++)
                {
                    // A small receive window, never read after the play: the socket backlog grows at the gateway.
                    RawRtmpClient viewer = await RawRtmpClient.ConnectAsync(gateway.RtmpEndPoint, receiveBufferSize: 4096).ConfigureAwait(false);
                    await viewer.PlayAsync("probe").ConfigureAwait(false);
                    viewers.Add(viewer);
                }

                ladderStream = await gateway.WaitForStreamAsync("live", "ladder", TimeSpan.FromSeconds(20)).ConfigureAwait(false);
            }

            // Let every output settle (the ladder's encoders start, the viewers' windows fill).
            await Task.Delay(TimeSpan.FromSeconds(5), cancel).ConfigureAwait(false);
            long frames0 = stream.VideoFrames;
            long ladderFrames0 = ladderStream?.VideoFrames ?? 0;
            var clock = Stopwatch.StartNew();
            double[] lateness = await FollowPartsAsync(gateway, "probe", TimeSpan.FromSeconds(seconds), cancel).ConfigureAwait(false);
            double elapsed = clock.Elapsed.TotalSeconds;
            double fps = (stream.VideoFrames - frames0) / elapsed;
            double ladderFps = ladderStream is null ? 0 : (ladderStream.VideoFrames - ladderFrames0) / elapsed;
            Array.Sort(lateness);
            if (lateness.Length == 0)
            {
                throw new InvalidOperationException("no LL-HLS part was seen");
            }

            return new Result(
                lateness[lateness.Length / 2],
                lateness[Math.Min(lateness.Length - 1, (int)(lateness.Length * 0.95))],
                lateness.Length,
                fps,
                stalled?.DroppedFrames ?? 0,
                stalled?.DropEvents ?? 0,
                stream.CountReaders("rtmp"),
                ladderFps);
        }
        finally
        {
            stalled?.Release();
            foreach (RawRtmpClient viewer in viewers)
            {
                await viewer.DisposeAsync().ConfigureAwait(false);
            }

            if (ladder is not null)
            {
                await ladder.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static ToolProcess Publish(GatewayInstance gateway, string source, string name, int seconds)
        => ToolProcess.Start("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-t", seconds.ToString(CultureInfo.InvariantCulture), "-i", source, "-c", "copy", "-f", "flv", gateway.RtmpUrl("live", name));

    /// <summary>
    /// Follows the source rendition's media playlist with LL-HLS blocking reloads for the next part
    /// and returns, for each part first seen, the seconds between its listing and its end by
    /// EXT-X-PROGRAM-DATE-TIME (the segment's date-time plus the durations of the parts up to its end).
    /// </summary>
    private static async Task<double[]> FollowPartsAsync(GatewayInstance gateway, string name, TimeSpan duration, CancellationToken cancel)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lateness = new List<double>();
        var clock = Stopwatch.StartNew();
        string query = "";
        bool first = true;
        while (clock.Elapsed < duration)
        {
            string text = await http.GetStringAsync(new Uri(gateway.HttpBase, $"/live/{name}/source/index.m3u8{query}"), cancel).ConfigureAwait(false);
            DateTimeOffset listedAt = DateTimeOffset.UtcNow;
            (List<(string Uri, DateTimeOffset End)> parts, long lastMsn, int lastPart) = Parse(text);
            foreach ((string uri, DateTimeOffset end) in parts)
            {
                // Parts listed in the first answer were made before we asked: only later ones count.
                if (seen.Add(uri) && !first)
                {
                    lateness.Add((listedAt - end).TotalSeconds);
                }
            }

            first = false;
            query = string.Create(CultureInfo.InvariantCulture, $"?_HLS_msn={lastMsn}&_HLS_part={lastPart + 1}");
        }

        return [.. lateness];
    }

    /// <summary>Every part of the playlist with where it ends by program date-time, and the last part's segment and index.</summary>
    private static (List<(string Uri, DateTimeOffset End)> Parts, long LastMsn, int LastPart) Parse(string text)
    {
        var parts = new List<(string, DateTimeOffset)>();
        long msn = 0;
        long segment = -1;
        int index = -1;
        long lastMsn = 0;
        int lastPart = -1;
        DateTimeOffset partEnd = default;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("#EXT-X-MEDIA-SEQUENCE:", StringComparison.Ordinal))
            {
                msn = long.Parse(line.AsSpan("#EXT-X-MEDIA-SEQUENCE:".Length), CultureInfo.InvariantCulture);
                segment = msn;
            }
            else if (line.StartsWith("#EXT-X-PROGRAM-DATE-TIME:", StringComparison.Ordinal))
            {
                partEnd = DateTimeOffset.Parse(line["#EXT-X-PROGRAM-DATE-TIME:".Length..], CultureInfo.InvariantCulture);
                index = -1;
            }
            else if (line.StartsWith("#EXT-X-PART:", StringComparison.Ordinal))
            {
                double d = double.Parse(Attribute(line, "DURATION"), CultureInfo.InvariantCulture);
                partEnd += TimeSpan.FromSeconds(d);
                index++;
                parts.Add((Attribute(line, "URI"), partEnd));
                lastMsn = segment;
                lastPart = index;
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                // A complete segment's URI: the next parts are the next segment's.
                segment++;
            }
        }

        return (parts, lastMsn, lastPart);
    }

    private static string Attribute(string line, string name)
    {
        int at = line.IndexOf(name + "=", StringComparison.Ordinal) + name.Length + 1;
        if (line[at] == '"')
        {
            return line[(at + 1)..line.IndexOf('"', at + 1)];
        }

        int end = line.IndexOf(',', at);
        return end < 0 ? line[at..] : line[at..end];
    }

    /// <summary>A hub reader that sleeps in its first frame until released: the stalled output of the scenario.</summary>
    private sealed class StalledReader() : HubReader("stalled")
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        protected override void OnTrack(HubTrack track)
        {
        }

        // Blocks its worker on purpose: this is the reader that never keeps up.
        protected override void OnFrame(HubFrame frame) => _release.Task.Wait(TimeSpan.FromMinutes(2));
    }
}
