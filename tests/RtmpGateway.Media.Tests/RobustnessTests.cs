namespace RtmpGateway.Media.Tests;

/// <summary>
/// Every parser, fed every truncated prefix of its golden inputs, random buffers and bit-flipped golden
/// inputs, must either succeed or throw <see cref="MediaFormatException"/>; any other exception is a bug.
/// Inputs that once broke a parser live in Data/crashers/ (name prefix = parser name) and are replayed here.
/// </summary>
public class RobustnessTests
{
    private static readonly Dictionary<string, Action<byte[]>> Parsers = new()
    {
        ["avcc"] = b => AvcDecoderConfigurationRecord.Parse(b),
        ["sps"] = b => H264Sps.Parse(b),
        ["asc"] = b => AudioSpecificConfig.Parse(b),
        ["hvcc"] = b => HevcDecoderConfigurationRecord.Parse(b),
        ["hevcsps"] = b => HevcSps.Parse(b),
        ["av1c"] = b => Av1CodecConfigurationRecord.Parse(b),
        ["config"] = b =>
        {
            CodecConfig.FromAvcRecord(b);
        },
        ["video"] = b => DemuxAfterConfigs(FlvTagType.Video, b),
        ["audio"] = b => DemuxAfterConfigs(FlvTagType.Audio, b),
    };

    private static void DemuxAfterConfigs(FlvTagType type, byte[] tag)
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        demuxer.Demux(FlvTagType.Video, 0, (byte[])[0x17, 0, 0, 0, 0, .. Golden.Hex(Golden.AvcMain1080)], sink);
        demuxer.Demux(FlvTagType.Audio, 0, (byte[])[0xAF, 0, .. Golden.Hex(Golden.AscLc44100Stereo)], sink);
        demuxer.Demux(type, 1000, tag, sink);
    }

    private static byte[] HevcSpsNal()
    {
        HevcDecoderConfigurationRecord hvcc = HevcDecoderConfigurationRecord.Parse(Golden.File("hevc_720p.hvcC"));
        return hvcc.Arrays.Single(a => a.NalUnitType == 33).NalUnits[0].ToArray();
    }

    private static IEnumerable<(string Parser, byte[] Input)> GoldenInputs()
    {
        var flv = FlvFile.ReadTags(Golden.File("h264_720p_high_aac.flv"));
        string[] avcc =
        [
            Golden.AvcMain1080, Golden.AvcBaseline360, Golden.AvcHigh444, Golden.AvcHigh10, Golden.AvcInterlaced1080, Golden.AvcSar720x576,
        ];
        foreach (string hex in avcc)
        {
            byte[] record = Golden.Hex(hex);
            yield return ("avcc", record);
            yield return ("config", record);
            yield return ("sps", AvcDecoderConfigurationRecord.Parse(record).SequenceParameterSets[0].ToArray());
        }

        yield return ("avcc", flv[1].Body[5..].ToArray());
        yield return ("asc", Golden.Hex(Golden.AscLc44100Stereo));
        yield return ("asc", Golden.Hex("12000504010020000d4c61766335392e33372e31303056e500"));
        yield return ("asc", Golden.Hex("2b118800"));
        yield return ("asc", Golden.Hex("eb098800"));
        yield return ("asc", Golden.Hex("f94840"));
        yield return ("hvcc", Golden.File("hevc_720p.hvcC"));
        yield return ("hevcsps", HevcSpsNal());
        yield return ("av1c", Golden.Hex(Golden.Av1C360));
        foreach (var (type, _, body) in flv.Where(t => t.Type != FlvTagType.ScriptData))
        {
            yield return (type == FlvTagType.Video ? "video" : "audio", body.ToArray());
        }

        yield return ("video", [0x90, (byte)'h', (byte)'v', (byte)'c', (byte)'1', .. Golden.File("hevc_720p.hvcC")]);
        yield return ("video", [0x90, (byte)'a', (byte)'v', (byte)'0', (byte)'1', .. Golden.Hex(Golden.Av1C360)]);
    }

    private static void AssertOnlyMediaFormatException(string parser, byte[] input)
    {
        try
        {
            Parsers[parser](input);
        }
        catch (MediaFormatException ex)
        {
            Assert.NotEqual(MediaErrorReason.None, ex.Reason);
        }
        catch (Exception ex)
        {
            Assert.Fail($"{parser} threw {ex.GetType().Name} for {Convert.ToHexString(input)}: {ex.Message}");
        }
    }

    [Fact]
    public void Parse_EveryTruncatedPrefix_SucceedsOrThrowsMediaFormatException()
    {
        int checkedPrefixes = 0;
        foreach (var (parser, input) in GoldenInputs())
        {
            // The whole input must parse; each prefix may parse (e.g. optional trailing fields) or throw our type.
            Parsers[parser](input);
            for (int length = 0; length < input.Length; length++)
            {
                AssertOnlyMediaFormatException(parser, input[..length]);
                checkedPrefixes++;
            }
        }

        Assert.True(checkedPrefixes > 10_000);
    }

    [Fact]
    public void Parse_RandomBuffers_OnlyMediaFormatException()
    {
        var random = new Random(20_240_601);
        foreach (string parser in Parsers.Keys)
        {
            for (int i = 0; i < 3000; i++)
            {
                byte[] input = new byte[random.Next(0, 96)];
                random.NextBytes(input);
                AssertOnlyMediaFormatException(parser, input);
            }
        }
    }

    [Fact]
    public void Parse_RandomBuffersWithValidLeadIn_OnlyMediaFormatException()
    {
        // Random bytes behind a plausible first byte reach deeper than pure noise, which mostly fails at byte 0.
        var random = new Random(7);
        (string Parser, byte[] Lead)[] leads =
        [
            ("avcc", [1, 100, 0, 31, 0xFF, 0xE1]), ("sps", [0x67, 100]), ("hvcc", [1]), ("hevcsps", [0x42, 0x01]),
            ("av1c", [0x81, 0, 0, 0, 0x0A]), ("video", [0x17, 0]), ("video", [0x90, (byte)'a', (byte)'v', (byte)'0', (byte)'1']),
            ("video", [0x90, (byte)'h', (byte)'v', (byte)'c', (byte)'1', 1]), ("audio", [0xAF, 0]),
        ];
        foreach (var (parser, lead) in leads)
        {
            for (int i = 0; i < 3000; i++)
            {
                byte[] input = new byte[lead.Length + random.Next(0, 200)];
                lead.CopyTo(input, 0);
                random.NextBytes(input.AsSpan(lead.Length));
                AssertOnlyMediaFormatException(parser, input);
            }
        }
    }

    [Fact]
    public void Parse_BitFlippedGoldenInputs_OnlyMediaFormatException()
    {
        var random = new Random(42);
        foreach (var (parser, input) in GoldenInputs())
        {
            for (int i = 0; i < 300; i++)
            {
                byte[] mutated = (byte[])input.Clone();
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips; f++)
                {
                    int bit = random.Next(Math.Min(mutated.Length, 256) * 8);
                    mutated[bit / 8] ^= (byte)(1 << (bit % 8));
                }

                AssertOnlyMediaFormatException(parser, mutated);
            }
        }
    }

    [Fact]
    public void Parse_CommittedCrashers_OnlyMediaFormatException()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Data", "crashers");
        foreach (string file in Directory.EnumerateFiles(dir, "*.bin"))
        {
            string parser = Path.GetFileName(file).Split('-')[0];
            AssertOnlyMediaFormatException(parser, File.ReadAllBytes(file));
        }

        Assert.True(Directory.Exists(dir));
    }
}
