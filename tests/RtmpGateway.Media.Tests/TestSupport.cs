namespace RtmpGateway.Media.Tests;

internal static class Golden
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] File(string name) => System.IO.File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", name));

    // avcC bodies (the FLV AVC sequence header after its 5-byte tag header), each from
    // ffmpeg -f lavfi -i testsrc2=size=WxH:rate=R -t 0.2 -c:v libx264 <options> -f flv out.flv
    /// <summary>1920x1080 25 fps, -profile:v main (ffprobe: Main, level 40).</summary>
    public const string AvcMain1080 = "014d4028ffe1001a674d4028eca03c0113f2e022000003000200000300641e30632c01000568ebe3cb20";

    /// <summary>640x360 30 fps, -profile:v baseline (ffprobe: Constrained Baseline, level 30).</summary>
    public const string AvcBaseline360 = "0142c01effe100196742c01ed900a02ff970110000030001000003003c0f162e4801000568cb83cb20";

    /// <summary>640x480 25 fps, -pix_fmt yuv444p (ffprobe: High 4:4:4 Predictive, level 30).</summary>
    public const string AvcHigh444 = "01f4001effe1001967f4001e919b281407b60220000003002000000641e2c5b2c001000668ebe3c44844fff8f800";

    /// <summary>640x360 60 fps, -pix_fmt yuv420p10le (ffprobe: High 10, level 31; trace_headers: time_scale 120).</summary>
    public const string AvcHigh10 = "016e001fffe1001a676e001fa6cd940a02ff970110000003001000000780f183196001000668ebe3cb22c0fdfafa00";

    /// <summary>1920x1080 25 fps, -flags +ildct+ilme -x264-params tff=1 (ffprobe: High, level 40, field_order tt).</summary>
    public const string AvcInterlaced1080 = "01640028ffe1001a67640028acd94078044fde0220000003002000000643e2c5b2c001000668fba3cb22c0fdf8f800";

    /// <summary>720x576 25 fps, -vf setsar=16/15 (ffprobe: High, level 30, sample_aspect_ratio 16:15).</summary>
    public const string AvcSar720x576 = "0164001effe1001d6764001eacd940b4126ffc0040003c40000003004000000c83c58b658001000668ebe3cb22c0fdf8f800";

    /// <summary>av1C of ffmpeg -f lavfi -i testsrc2=size=640x360:rate=30 -t 0.2 -c:v libaom-av1 -cpu-used 8 -f mp4 (ffprobe: Main, level 1).</summary>
    public const string Av1C360 = "81010c000a0b0000000cc4ff6736be4010";

    /// <summary>ASC of ffmpeg's aac encoder, 44100 Hz stereo (tag 2 of h264_720p_high_aac.flv): LC + sync extension 0x2b7, SBR absent.</summary>
    public const string AscLc44100Stereo = "121056e500";

    /// <summary>ASC of ffmpeg -f lavfi -i sine=sample_rate=48000 -t 0.2 -c:a aac -ac 1 -f flv: LC 48000 mono.</summary>
    public const string AscLc48000Mono = "118856e500";
}

/// <summary>Reads the tags of an FLV file (E.3 header, then PreviousTagSize / tag pairs): test-side framing only.</summary>
internal static class FlvFile
{
    public static List<(FlvTagType Type, uint Timestamp, ReadOnlyMemory<byte> Body)> ReadTags(byte[] file)
    {
        var tags = new List<(FlvTagType, uint, ReadOnlyMemory<byte>)>();
        int offset = (file[5] << 24 | file[6] << 16 | file[7] << 8 | file[8]) + 4;
        while (offset + 11 <= file.Length)
        {
            int size = file[offset + 1] << 16 | file[offset + 2] << 8 | file[offset + 3];
            uint ts = (uint)(file[offset + 4] << 16 | file[offset + 5] << 8 | file[offset + 6]) | (uint)file[offset + 7] << 24;
            tags.Add(((FlvTagType)file[offset], ts, file.AsMemory(offset + 11, size)));
            offset += 11 + size + 4;
        }

        return tags;
    }
}

internal sealed class RecordingSink : IMediaSink
{
    public List<CodecConfig> Configs { get; } = [];

    public List<AccessUnit> Units { get; } = [];

    public List<(MediaKind Kind, long FromMs, long ToMs)> Repairs { get; } = [];

    public List<(MediaKind Kind, long FromMs, long ToMs)> Jumps { get; } = [];

    public void OnCodecConfig(CodecConfig config) => Configs.Add(config);

    public void OnAccessUnit(in AccessUnit unit) => Units.Add(unit);

    public void OnTimestampRepaired(MediaKind kind, long fromMs, long toMs) => Repairs.Add((kind, fromMs, toMs));

    public void OnTimelineJump(MediaKind kind, long fromMs, long toMs) => Jumps.Add((kind, fromMs, toMs));
}
