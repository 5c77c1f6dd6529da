using System.Buffers.Binary;
using System.Diagnostics;

namespace RtmpGateway.Transcoding.Tests;

/// <summary>One FLV video tag: timestamps in ms, the AVCC payload.</summary>
internal sealed record FlvVideoTag(long DtsMs, int CompositionTimeMs, bool IsKeyframe, byte[] Payload)
{
    public long Dts90k => DtsMs * 90;

    public long Pts90k => (DtsMs + CompositionTimeMs) * 90;
}

/// <summary>An FLV file's AVC sequence header and video tags (Adobe FLV spec E.4), read just enough for tests.</summary>
internal sealed record FlvVideo(byte[] AvcRecord, List<FlvVideoTag> Frames)
{
    public static FlvVideo Read(string path)
    {
        byte[]? record = null;
        var frames = new List<FlvVideoTag>();
        foreach (RtmpGateway.Media.FlvFileTag tag in RtmpGateway.Media.FlvFileReader.ReadTags(File.ReadAllBytes(path)))
        {
            ReadOnlySpan<byte> body = tag.Body.Span;
            if (tag.Type == RtmpGateway.Media.FlvTagType.Video && (body[0] & 0x0F) == 7)
            {
                // VIDEODATA: FrameType(4) CodecID(4); AVCVIDEOPACKET: AVCPacketType, CompositionTime SI24.
                int cts = (body[2] << 16) | (body[3] << 8) | body[4];
                cts = (cts << 8) >> 8;
                if (body[1] == 0)
                {
                    record = body[5..].ToArray();
                }
                else if (body[1] == 1)
                {
                    frames.Add(new FlvVideoTag(tag.Timestamp, cts, body[0] >> 4 == 1, body[5..].ToArray()));
                }
            }
        }

        return new FlvVideo(record ?? throw new InvalidDataException($"{path}: no AVC sequence header"), frames);
    }
}

internal static class TestMedia
{
    public static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    /// <summary>The NAL units of an AVCC payload with 4-byte lengths.</summary>
    public static List<byte[]> SplitLengthPrefixed(ReadOnlySpan<byte> payload)
    {
        var units = new List<byte[]>();
        while (!payload.IsEmpty)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(payload);
            units.Add(payload.Slice(4, length).ToArray());
            payload = payload[(4 + length)..];
        }

        return units;
    }

    /// <summary>Runs a tool to completion; returns its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static void RunChecked(string file, params string[] args)
    {
        (int exit, _, string stderr) = Run(file, args);
        Assert.True(exit == 0, $"{file} {string.Join(' ', args)} exited {exit}: {stderr}");
    }

    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtmpgw-transcoding-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>An H.264 FLV made by the ffmpeg CLI from testsrc2, with a fixed GOP and no scene cuts.</summary>
    public static FlvVideo MakeClip(string dir, string name, int width, int height, int fps, double seconds, int gop, params string[] extra)
    {
        string path = Path.Combine(dir, name);
        var args = new List<string>
        {
            "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}",
            "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "veryfast", "-g", gop.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-keyint_min", gop.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sc_threshold", "0",
        };
        args.AddRange(extra);
        args.AddRange(["-f", "flv", path]);
        RunChecked("ffmpeg", [.. args]);
        return FlvVideo.Read(path);
    }

    /// <summary>
    /// Writes an avcC and AVCC packets as an FLV file (Adobe FLV spec E.4) for the CLI to check. FLV
    /// timestamps are unsigned milliseconds, so DTS is shifted to start at 0 (B-frames make it negative).
    /// </summary>
    public static void WriteFlv(string path, ReadOnlySpan<byte> avcRecord, IReadOnlyList<EncodedPacket> packets)
    {
        using var file = File.Create(path);
        // Signature, version 1, TypeFlags 0x01 (video), DataOffset 9, PreviousTagSize0 0.
        file.Write([(byte)'F', (byte)'L', (byte)'V', 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0]);
        long origin = packets.Count == 0 ? 0 : packets.Min(p => p.Dts);
        WriteVideoTag(file, 0, 0x17, 0, 0, avcRecord);
        foreach (EncodedPacket packet in packets)
        {
            WriteVideoTag(file, (packet.Dts - origin) / 90, packet.IsKeyframe ? (byte)0x17 : (byte)0x27, 1, (int)((packet.Pts - packet.Dts) / 90), packet.Payload.Span);
        }
    }

    private static void WriteVideoTag(Stream file, long timestampMs, byte frameTypeAndCodec, byte avcPacketType, int compositionTimeMs, ReadOnlySpan<byte> data)
    {
        int size = 5 + data.Length;
        byte[] header =
        [
            9, (byte)(size >> 16), (byte)(size >> 8), (byte)size,
            (byte)(timestampMs >> 16), (byte)(timestampMs >> 8), (byte)timestampMs, (byte)(timestampMs >> 24),
            0, 0, 0,
            frameTypeAndCodec, avcPacketType, (byte)(compositionTimeMs >> 16), (byte)(compositionTimeMs >> 8), (byte)compositionTimeMs,
        ];
        file.Write(header);
        file.Write(data);
        Span<byte> previous = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(previous, 11 + size);
        file.Write(previous);
    }
}
