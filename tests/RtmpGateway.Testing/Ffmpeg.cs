using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>Command lines for the real ffmpeg/ffprobe used as publisher, player and reference reader.</summary>
public static partial class Ffmpeg
{
    /// <summary>
    /// testsrc2 + a sine tone, H.264 (x264 veryfast, GOP 2 s, B-frames on) + AAC, paced in real time,
    /// written both to RTMP and to a local FLV so the test knows exactly what was sent.
    /// </summary>
    public static string[] PublishTestSource(string rtmpUrl, string? copyPath, int seconds, int width = 1280, int height = 720, int fps = 30, params string[] extraOutputArgs)
    {
        string outputs = copyPath is null ? $"[f=flv:onfail=abort]{rtmpUrl}" : $"[f=flv]{rtmpUrl}|[f=flv]{copyPath}";
        return
        [
            "-hide_banner", "-nostdin", "-loglevel", "error",
            "-re",
            "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", (fps * 2).ToString(CultureInfo.InvariantCulture),
            "-flags:v", "+global_header",
            "-c:a", "aac", "-b:a", "128k",
            .. extraOutputArgs,
            "-f", "tee", outputs,
        ];
    }

    /// <summary>A low-latency publish: testsrc2 at 30 fps, GOP 1 s, x264 zerolatency (no B-frames, no lookahead).</summary>
    public static string[] PublishLowLatency(string rtmpUrl, int seconds, int width = 640, int height = 360)
        => PublishTestSource(rtmpUrl, null, seconds, width, height, 30, "-tune", "zerolatency", "-g", "30", "-keyint_min", "30");

    /// <summary>
    /// Encodes testsrc2 + sine to an FLV file once (x264 ultrafast, so no B-frames; GOP 2 s and
    /// 6 Mbit/s unless told), so publishing it costs no encoding.
    /// </summary>
    public static async Task MakeSourceFileAsync(string path, int seconds, int width, int height, string videoBitrate = "6M", int gopFrames = 60)
    {
        await using ToolProcess make = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(180), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", seconds.ToString(CultureInfo.InvariantCulture), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-g", gopFrames.ToString(CultureInfo.InvariantCulture), "-b:v", videoBitrate,
            "-c:a", "aac", "-b:a", "128k", "-f", "flv", path);
        Assert.True(make.ExitCode == 0, make.StdErr);
    }

    /// <summary>Publishes a file in real time without re-encoding.</summary>
    public static string[] PublishFile(string path, string rtmpUrl)
        => ["-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-i", path, "-c", "copy", "-f", "flv", rtmpUrl];

    public sealed record ProbedStream(string CodecType, int Packets, byte[] Extradata);

    /// <summary>ffprobe's own packet counts and extradata for a file.</summary>
    public static async Task<List<ProbedStream>> ProbeAsync(string path)
    {
        await using ToolProcess probe = await ToolProcess.RunAsync(
            TimeSpan.FromSeconds(60), "ffprobe", "-v", "error", "-count_packets", "-show_data",
            "-show_entries", "stream=codec_type,nb_read_packets,extradata", "-of", "json", path);
        Assert.True(probe.ExitCode == 0, probe.StdErr);
        using var doc = JsonDocument.Parse(probe.StdOut);
        return
        [
            .. doc.RootElement.GetProperty("streams").EnumerateArray().Select(s => new ProbedStream(
                s.GetProperty("codec_type").GetString()!,
                int.Parse(s.GetProperty("nb_read_packets").GetString()!, CultureInfo.InvariantCulture),
                s.TryGetProperty("extradata", out JsonElement e) ? ParseHexDump(e.GetString()!) : [])),
        ];
    }

    /// <summary>ffprobe's hexdump ("00000000: 0164 001f ...  .d..") to bytes.</summary>
    public static byte[] ParseHexDump(string dump)
    {
        var bytes = new List<byte>();
        foreach (Match m in HexDumpLine().Matches(dump))
        {
            bytes.AddRange(Convert.FromHexString(m.Groups[1].Value.Replace(" ", "", StringComparison.Ordinal)));
        }

        return [.. bytes];
    }

    [GeneratedRegex(@"^[0-9a-f]{8}: ((?:[0-9a-f]{2,4} ?)+?)(?:  |$)", RegexOptions.Multiline)]
    private static partial Regex HexDumpLine();
}
