using System.Diagnostics;
using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>A server the bench compares, by how it is started.</summary>
internal sealed record ServerKind(string Name, Func<string, CancellationToken, Task<StreamingServer>> StartAsync)
{
    /// <summary>How it is started to serve RTMP viewers (scenario 5), where that takes more than <see cref="StartAsync"/>; null: the same.</summary>
    public Func<string, CancellationToken, Task<StreamingServer>>? StartForRtmpViewersAsync { get; init; }
}

/// <summary>What every peer scenario shares: the run's folder (logs, nginx prefixes, NMS media), the source, the HTTP client, the durations.</summary>
internal sealed class PeerRun(string workDirectory, string source, int seconds, HttpClient http, CancellationToken cancellationToken)
{
    private int _logs;

    public string WorkDirectory { get; } = workDirectory;

    /// <summary>The 720p30 2.5 Mbit/s source every publisher sends.</summary>
    public string Source { get; } = source;

    /// <summary>Publish time in scenario 1, sampling time in scenario 3, each viewer's media time in scenario 5.</summary>
    public int Seconds { get; } = seconds;

    public HttpClient Http { get; } = http;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Seconds since a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public static double Since(long timestamp) => Stopwatch.GetElapsedTime(timestamp).TotalSeconds;

    public string LogPath(string what) => Path.Combine(WorkDirectory, $"{Interlocked.Increment(ref _logs):D4}-{what.Replace(' ', '-')}.log");

    /// <summary>
    /// ffmpeg sending the source in real time without re-encoding (-re, -c copy) for a bounded time,
    /// looping the file if the time is longer than it.
    /// </summary>
    public BenchProcess Publish(StreamingServer server, string stream, int seconds)
    {
        ArgumentNullException.ThrowIfNull(server);
        return BenchProcess.Start(
            LogPath($"publish-{stream}"),
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", Source,
                "-t", seconds.ToString(CultureInfo.InvariantCulture), "-c", "copy", "-f", "flv", server.RtmpUrl(stream),
            ]);
    }

    /// <summary>
    /// ffmpeg as an RTMP viewer for a bounded media time (-t): a real reader that receives and demuxes
    /// everything the server sends and copies it to the null muxer (no decoding). -progress writes its
    /// media time so far (out_time_us) to the log twice a second and once more at the end.
    /// </summary>
    public BenchProcess Play(StreamingServer server, string stream, int seconds)
    {
        ArgumentNullException.ThrowIfNull(server);
        return BenchProcess.Start(
            LogPath($"play-{stream}"),
            "ffmpeg",
            [
                "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-progress", "pipe:1", "-i", server.RtmpUrl(stream),
                "-t", seconds.ToString(CultureInfo.InvariantCulture), "-c", "copy", "-f", "null", "-",
            ]);
    }

    /// <summary>Waits until the media playlist lists two segments (the stream is live past its first); throws after 30 s.</summary>
    public async Task WaitForSegmentsAsync(Uri playlist, BenchProcess publisher)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        while ((await TryGetPlaylistAsync(playlist))?.Segments.Count is not >= 2)
        {
            if (Since(publisher.StartTimestamp) > 30)
            {
                throw new TimeoutException($"no second segment at {playlist} within 30 s");
            }

            await Task.Delay(200, CancellationToken);
        }
    }

    /// <summary>The media playlist now; null when it is not there (404, refused, timeout) or not a playlist.</summary>
    public async Task<MediaPlaylist?> TryGetPlaylistAsync(Uri url)
    {
        string? text = await TryGetTextAsync(url);
        return text is null ? null : MediaPlaylist.TryParse(text);
    }

    public async Task<string?> TryGetTextAsync(Uri url)
    {
        try
        {
            using HttpResponseMessage response = await Http.GetAsync(url, CancellationToken);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(CancellationToken) : null;
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !CancellationToken.IsCancellationRequested))
        {
            // Not there (yet), or the client's timeout: the caller polls again.
            return null;
        }
    }
}
