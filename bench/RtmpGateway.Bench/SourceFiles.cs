using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;

namespace RtmpGateway.Bench;

/// <summary>
/// The bench's sources, encoded once with the ffmpeg CLI into bench/.cache and reused by later runs:
/// testsrc2 + a sine tone, H.264 High (x264 veryfast, CBR-like), a fixed 2 s GOP without scene-cut
/// keyframes (so every server cuts its 2 s segments at the same frames), AAC. Publishers send them
/// with <c>-c copy</c>, so encoding never competes with the servers for the cores.
/// </summary>
internal static class SourceFiles
{
    /// <summary>Long enough for a 30 s measurement plus the wait for the first playlist without looping.</summary>
    public const int Seconds = 60;

    public static Task<string> Source720pAsync() => GetAsync(1280, 720, "2500k");

    public static Task<string> Source1080pAsync() => GetAsync(1920, 1080, "6000k");

    private static async Task<string> GetAsync(int width, int height, string videoBitrate)
    {
        // Every encoding parameter is in the name: a changed recipe is a new file, never a stale one.
        string path = Path.Combine(BenchPaths.Cache, $"testsrc2-{height}p30-{videoBitrate}-gop60-aac-{Seconds}s.flv");
        if (File.Exists(path))
        {
            return path;
        }

        Directory.CreateDirectory(BenchPaths.Cache);
        string partial = path + ".partial";
        Console.Error.WriteLine($"bench: encoding {Path.GetFileName(path)} (once)");
        string bufferSize = (int.Parse(videoBitrate.TrimEnd('k'), CultureInfo.InvariantCulture) * 2).ToString(CultureInfo.InvariantCulture) + "k";
        await using (ToolProcess make = await ToolProcess.RunAsync(
            TimeSpan.FromMinutes(10), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", Seconds.ToString(CultureInfo.InvariantCulture), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-b:v", videoBitrate, "-maxrate", videoBitrate, "-bufsize", bufferSize,
            "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
            "-c:a", "aac", "-b:a", "128k", "-f", "flv", partial).ConfigureAwait(false))
        {
            if (make.ExitCode != 0)
            {
                throw new InvalidOperationException("encoding the source failed: " + make.StdErr);
            }
        }

        File.Move(partial, path, overwrite: true);
        return path;
    }
}
