using RtmpGateway.Rtmp.Amf;
using static RtmpGateway.Rtmp.Tests.AmfTestSupport;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// AMF0 command bodies that ffmpeg 5.1.9 sent to Data/capture/rtmp_capture.py (see its README):
/// reading them gives what ffmpeg meant, writing those values gives ffmpeg's bytes back.
/// </summary>
public sealed class Amf0CaptureTests
{
    public sealed record Capture(string Hex, Func<List<object?>> Expected);

    public static readonly Dictionary<string, Capture> Table = new()
    {
        ["publish connect"] = new(
            "020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e707269766174650008666c617368566572020024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e302e313a34343934392f6c697665000009",
            () =>
            [
                "connect", 1.0,
                new AmfObject
                {
                    { "app", "live" },
                    { "type", "nonprivate" },
                    { "flashVer", "FMLE/3.0 (compatible; Lavf59.27.100)" },
                    { "tcUrl", "rtmp://127.0.0.1:44949/live" },
                },
            ]),
        ["publish releaseStream"] = new(
            "02000d72656c6561736553747265616d0040000000000000000502000474657374",
            () => ["releaseStream", 2.0, null, "test"]),
        ["publish FCPublish"] = new(
            "02000946435075626c6973680040080000000000000502000474657374",
            () => ["FCPublish", 3.0, null, "test"]),
        ["publish createStream"] = new(
            "02000c63726561746553747265616d00401000000000000005",
            () => ["createStream", 4.0, null]),
        ["publish publish"] = new(
            "0200077075626c69736800401400000000000005020004746573740200046c697665",
            () => ["publish", 5.0, null, "test", "live"]),
        ["publish @setDataFrame"] = new(
            "02000d40736574446174614672616d6502000a6f6e4d65746144617461080000000d00086475726174696f6e00400000000000000000057769647468004074000000000000000668656967687400406e000000000000000d766964656f646174617261746500000000000000000000096672616d657261746500403e000000000000000c766964656f636f646563696400401c000000000000000d617564696f6461746172617465004050d88000000000000f617564696f73616d706c65726174650040e5888000000000000f617564696f73616d706c6573697a65004030000000000000000673746572656f0100000c617564696f636f64656369640040240000000000000007656e636f64657202000d4c61766635392e32372e313030000866696c6573697a65000000000000000000000009",
            () =>
            [
                "@setDataFrame", "onMetaData",
                new AmfEcmaArray
                {
                    { "duration", 2.0 },
                    { "width", 320.0 },
                    { "height", 240.0 },
                    { "videodatarate", 0.0 },
                    { "framerate", 30.0 },
                    { "videocodecid", 7.0 },
                    { "audiodatarate", 67.3828125 },
                    { "audiosamplerate", 44100.0 },
                    { "audiosamplesize", 16.0 },
                    { "stereo", false },
                    { "audiocodecid", 10.0 },
                    { "encoder", "Lavf59.27.100" },
                    { "filesize", 0.0 },
                },
            ]),
        ["play connect"] = new(
            "020007636f6e6e656374003ff00000000000000300036170700200046c6976650008666c61736856657202000d4c4e5820392c302c3132342c320005746355726c02001b72746d703a2f2f3132372e302e302e313a33343532332f6c6976650004667061640100000c6361706162696c697469657300402e000000000000000b617564696f436f646563730040afce0000000000000b766964656f436f6465637300406f800000000000000d766964656f46756e6374696f6e003ff0000000000000000009",
            () =>
            [
                "connect", 1.0,
                new AmfObject
                {
                    { "app", "live" },
                    { "flashVer", "LNX 9,0,124,2" },
                    { "tcUrl", "rtmp://127.0.0.1:34523/live" },
                    { "fpad", false },
                    { "capabilities", 15.0 },
                    { "audioCodecs", 4071.0 },
                    { "videoCodecs", 252.0 },
                    { "videoFunction", 1.0 },
                },
            ]),
        ["play createStream"] = new(
            "02000c63726561746553747265616d00400000000000000005",
            () => ["createStream", 2.0, null]),
        ["play getStreamLength"] = new(
            "02000f67657453747265616d4c656e6774680040080000000000000502000474657374",
            () => ["getStreamLength", 3.0, null, "test"]),
        ["play play"] = new(
            "020004706c6179004010000000000000050200047465737400c09f400000000000",
            () => ["play", 4.0, null, "test", -2000.0]),
    };

    public static TheoryData<string> Names => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void ReadAll_FfmpegCommand_ReturnsWhatFfmpegSent(string name)
    {
        var capture = Table[name];

        Equal(capture.Expected(), Amf0.ReadAll(Hex(capture.Hex)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void WriteAll_ValuesReadFromFfmpegCommand_GiveFfmpegBytes(string name)
    {
        var bytes = Hex(Table[name].Hex);

        var written = WriteAmf0([.. Amf0.ReadAll(bytes)]);

        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(written));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void WriteAll_ExpectedValues_GiveFfmpegBytes(string name)
    {
        var capture = Table[name];

        Assert.Equal(capture.Hex.ToUpperInvariant(), Convert.ToHexString(WriteAmf0([.. capture.Expected()])));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ReadAll_EveryTruncatedPrefix_ThrowsOrYieldsOnlyLeadingValues(string name)
    {
        var capture = Table[name];

        AllPrefixesFailOrYieldLeadingValues(Hex(capture.Hex), capture.Expected(), bytes => Amf0.ReadAll(bytes));
    }

    [Theory]
    [InlineData("ffmpeg-publish-chunks.bin", "publish releaseStream")]
    [InlineData("ffmpeg-publish-chunks.bin", "publish FCPublish")]
    [InlineData("ffmpeg-publish-chunks.bin", "publish createStream")]
    [InlineData("ffmpeg-publish-chunks.bin", "publish publish")]
    [InlineData("ffmpeg-play-chunks.bin", "play createStream")]
    [InlineData("ffmpeg-play-chunks.bin", "play getStreamLength")]
    [InlineData("ffmpeg-play-chunks.bin", "play play")]
    public void CapturedChunkStream_ContainsSingleChunkCommandBody(string file, string name)
    {
        // Bodies under the 128-byte default chunk size travel in one chunk, so they appear verbatim.
        var stream = File.ReadAllBytes(DataPath(file));

        Assert.True(stream.AsSpan().IndexOf(Hex(Table[name].Hex)) > 0);
    }

    [Theory]
    [InlineData("ffmpeg-publish-chunks.bin", "publish connect")]
    [InlineData("ffmpeg-play-chunks.bin", "play connect")]
    public void CapturedChunkStream_StartsWithConnectSplitAtChunkSize128(string file, string name)
    {
        // fmt 0 on chunk stream 3 (1 byte), 11-byte message header, 128 bytes, then 0xC3 (fmt 3,
        // csid 3) before the rest of the body.
        var stream = File.ReadAllBytes(DataPath(file));
        var body = Hex(Table[name].Hex);

        Assert.Equal(0x03, stream[0]);
        Assert.Equal(body.Length, (stream[4] << 16) | (stream[5] << 8) | stream[6]);
        Assert.Equal(20, stream[7]);
        Assert.True(stream.AsSpan(12, 128).SequenceEqual(body.AsSpan(0, 128)));
        Assert.Equal(0xC3, stream[140]);
        var rest = body.Length - 128;
        Assert.True(stream.AsSpan(141, Math.Min(rest, 128)).SequenceEqual(body.AsSpan(128, Math.Min(rest, 128))));
    }

    [Fact]
    public void ReadAll_FfmpegConnect_CommandObjectHelpersFindFields()
    {
        var values = Amf0.ReadAll(Hex(Table["publish connect"].Hex));

        var command = Assert.IsType<AmfObject>(values[2]);
        Assert.Equal("connect", values[0]);
        Assert.Equal(1.0, values[1]);
        Assert.Equal("live", command.GetString("app"));
        Assert.Equal("rtmp://127.0.0.1:44949/live", command.GetString("tcUrl"));
        Assert.Null(command.GetNumber("objectEncoding"));
    }
}
