using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using RtmpGateway.Media;
using RtmpGateway.Packaging.Cmaf;

namespace RtmpGateway.Packaging.Tests;

/// <summary>
/// Test helpers shared by the CMAF tests: reads an FLV file's tags (FLV spec E.2/E.3), demuxes them with
/// <see cref="FlvDemuxer"/>, turns access units into <see cref="CmafSample"/>s, runs ffprobe/ffmpeg, and
/// walks ISO BMFF boxes of files written by ffmpeg.
/// </summary>
internal static class MediaFixture
{
    public static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    /// <summary>A demuxed FLV file: configs and access units per kind (payloads are slices of <see cref="File"/>).</summary>
    internal sealed class Demuxed : IMediaSink
    {
        public byte[] File { get; init; } = [];

        public CodecConfig? Video { get; private set; }

        public CodecConfig? Audio { get; private set; }

        public List<AccessUnit> VideoUnits { get; } = [];

        public List<AccessUnit> AudioUnits { get; } = [];

        public void OnCodecConfig(CodecConfig config)
        {
            if (config.Kind == MediaKind.Video)
            {
                Video = config;
            }
            else
            {
                Audio = config;
            }
        }

        public void OnAccessUnit(in AccessUnit unit) => (unit.Kind == MediaKind.Video ? VideoUnits : AudioUnits).Add(unit);

        public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs) =>
            throw new InvalidOperationException($"test data has a non-monotonic {kind} timestamp {fromMs} < {toMs}");
    }

    /// <summary>
    /// FLV header: "FLV" UI8 version, UI8 flags, UI32 DataOffset; then PreviousTagSize0 UI32; then per tag:
    /// UI8 TagType, UI24 DataSize, UI24 Timestamp, UI8 TimestampExtended, UI24 StreamID, the body, UI32 PreviousTagSize.
    /// </summary>
    public static Demuxed DemuxFlv(string name)
    {
        byte[] file = System.IO.File.ReadAllBytes(DataPath(name));
        Assert.Equal("FLV"u8.ToArray(), file[..3]);
        var result = new Demuxed { File = file };
        var demuxer = new FlvDemuxer();
        int offset = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(5)) + 4;
        while (offset + 11 <= file.Length)
        {
            var type = (FlvTagType)(file[offset] & 0x1F);
            int size = (file[offset + 1] << 16) | (file[offset + 2] << 8) | file[offset + 3];
            uint timestamp = (uint)((file[offset + 7] << 24) | (file[offset + 4] << 16) | (file[offset + 5] << 8) | file[offset + 6]);
            demuxer.Demux(type, timestamp, file.AsMemory(offset + 11, size), result);
            offset += 11 + size + 4;
        }

        return result;
    }

    /// <summary>
    /// One sample per access unit: duration = next DTS - DTS; the last one lasts one frame (video, from the
    /// SPS frame rate) or 1024 samples (AAC-LC frame length, audio timescale = sample rate).
    /// </summary>
    public static List<CmafSample> ToSamples(CodecConfig config, IReadOnlyList<AccessUnit> units)
    {
        var samples = new List<CmafSample>(units.Count);
        for (int i = 0; i < units.Count; i++)
        {
            AccessUnit unit = units[i];
            long duration = i + 1 < units.Count
                ? units[i + 1].Dts - unit.Dts
                : config.Kind == MediaKind.Audio ? 1024 : (long)Math.Round(config.Timescale / (config.FrameRate ?? 25.0));
            samples.Add(new CmafSample(unit.Dts, (int)duration, (int)(unit.Pts - unit.Dts), unit.IsKeyframe, unit.Payload));
        }

        return samples;
    }

    /// <summary>
    /// A whole track the way the segmenter will lay it out: init, then segments (styp + chunks); a segment
    /// starts at every sync sample (video) or every <paramref name="segmentSamples"/> samples (audio); chunks
    /// hold up to <paramref name="chunkSamples"/> samples; sequence numbers count up from 1 over all chunks.
    /// </summary>
    public static byte[] WriteTrack(CodecConfig config, List<CmafSample> samples, int chunkSamples, int segmentSamples = int.MaxValue)
    {
        using var output = new MemoryStream();
        output.Write(CmafInitSegment.Write(config));
        uint sequence = 1;
        int start = 0;
        while (start < samples.Count)
        {
            int end = start + 1;
            while (end < samples.Count && end - start < segmentSamples && !(config.Kind == MediaKind.Video && samples[end].IsSync))
            {
                end++;
            }

            output.Write(CmafFragment.SegmentTypeBox);
            for (int chunk = start; chunk < end; chunk += chunkSamples)
            {
                output.Write(CmafFragment.WriteChunk(config, sequence++, samples.GetRange(chunk, Math.Min(chunkSamples, end - chunk))));
            }

            start = end;
        }

        return output.ToArray();
    }

    public static string TempFile(string name) => Path.Combine(Directory.CreateTempSubdirectory("rtmpgw-cmaf-").FullName, name);

    /// <summary>Runs a tool to completion; returns exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>ffprobe's view of a file: streams and packets as JSON.</summary>
    public static JsonElement Probe(string path)
    {
        (int code, string stdout, string stderr) = Run("ffprobe", "-v", "error", "-show_streams", "-show_packets", "-of", "json", path);
        Assert.True(code == 0, $"ffprobe failed: {stderr}");
        Assert.Equal(string.Empty, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>
    /// Asserts ffprobe reads exactly these samples back: count, pts, dts, size, the K flag and every duration.
    /// Durations are read from the decode timeline ffmpeg built from the trun (next DTS - DTS; the last one
    /// from the stream's duration_ts, which is the end of the last sample), because ffprobe's per-packet
    /// "duration" is the parser's: frame rate for H.264/HEVC (3000 where the trun says 3060), 1024 for
    /// every AAC frame (where FLV's millisecond clock gave 1008 or 1056), whatever the file says.
    /// </summary>
    public static void AssertPacketsEqual(IReadOnlyList<CmafSample> expected, JsonElement probe)
    {
        JsonElement[] packets = [.. probe.GetProperty("packets").EnumerateArray()];
        Assert.Equal(expected.Count, packets.Length);
        for (int i = 0; i < packets.Length; i++)
        {
            CmafSample sample = expected[i];
            JsonElement packet = packets[i];
            string at = $"packet {i}";
            Assert.True(sample.Dts == Number(packet, "dts"), $"{at} dts {Number(packet, "dts")}, expected {sample.Dts}");
            Assert.True(sample.Dts + sample.CompositionOffset == Number(packet, "pts"), $"{at} pts {Number(packet, "pts")}, expected {sample.Dts + sample.CompositionOffset}");
            long end = i + 1 < packets.Length
                ? Number(packets[i + 1], "dts")
                : Number(probe.GetProperty("streams")[0], "duration_ts");
            Assert.True(sample.Duration == end - sample.Dts, $"{at} lasts {end - sample.Dts} on ffmpeg's timeline, expected {sample.Duration}");
            Assert.True(sample.Data.Length == Number(packet, "size"), $"{at} size {Number(packet, "size")}, expected {sample.Data.Length}");
            Assert.True(sample.IsSync == packet.GetProperty("flags").GetString()!.StartsWith('K'), at + " K flag");
        }
    }

    /// <summary>ffprobe's JSON writes some integers as numbers (pts, dts, duration) and some as strings (size).</summary>
    private static long Number(JsonElement element, string name)
    {
        JsonElement value = element.GetProperty(name);
        return value.ValueKind == JsonValueKind.Number
            ? value.GetInt64()
            : long.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>ffmpeg decodes the whole file without a word on stderr.</summary>
    public static void AssertDecodesCleanly(string path)
    {
        (int code, _, string stderr) = Run("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-");
        Assert.Equal(string.Empty, stderr);
        Assert.Equal(0, code);
    }
}

/// <summary>A minimal ISO BMFF walker for locating boxes in files written by other tools.</summary>
internal static class TestBoxes
{
    private static readonly HashSet<string> Containers = ["moov", "trak", "mdia", "minf", "stbl", "dinf", "mvex", "moof", "traf"];

    /// <summary>Top-level boxes as (type, offset, size).</summary>
    public static List<(string Type, int Offset, int Size)> TopLevel(ReadOnlySpan<byte> file)
    {
        var boxes = new List<(string, int, int)>();
        int offset = 0;
        while (offset + 8 <= file.Length)
        {
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(file[offset..]);
            Assert.True(size >= 8 && offset + size <= file.Length, $"bad box size {size} at {offset}");
            boxes.Add((System.Text.Encoding.ASCII.GetString(file.Slice(offset + 4, 4)), offset, size));
            offset += size;
        }

        Assert.Equal(file.Length, offset);
        return boxes;
    }

    /// <summary>
    /// The whole box (header included) at a path such as "moov/trak/mdia/minf/stbl/stsd/avc1/avcC". stsd's
    /// entries follow its 8-byte FullBox header + entry_count; a visual sample entry's boxes follow 78 bytes
    /// of fields, an audio one's 28.
    /// </summary>
    public static byte[] Find(byte[] file, string path)
    {
        string[] parts = path.Split('/');
        int start = 0;
        int end = file.Length;
        foreach (string part in parts)
        {
            (int boxStart, int boxSize) = FindChild(file, start, end, part);
            string type = part;
            start = boxStart + 8 + type switch
            {
                "stsd" => 8,
                "avc1" or "hvc1" or "av01" => 78,
                "mp4a" => 28,
                _ => Containers.Contains(type) ? 0 : -8,
            };
            end = boxStart + boxSize;
            if (part == parts[^1])
            {
                return file[boxStart..end];
            }
        }

        throw new InvalidOperationException("empty path");
    }

    private static (int Start, int Size) FindChild(byte[] file, int start, int end, string type)
    {
        int offset = start;
        while (offset + 8 <= end)
        {
            int size = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(offset));
            if (System.Text.Encoding.ASCII.GetString(file, offset + 4, 4) == type)
            {
                return (offset, size);
            }

            offset += size;
        }

        throw new InvalidOperationException($"no '{type}' box between {start} and {end}");
    }
}
