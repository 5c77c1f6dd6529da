using System.Text;
using RtmpGateway.Transcoding.Ladder;

namespace RtmpGateway.Transcoding.Tests;

public sealed class LadderPresetTests
{
    private const string ValidRung = """{ "name": "720p", "width": 1280, "height": 720, "bitrateKbps": 2800, "preset": "veryfast", "profile": "high" }""";

    [Fact]
    public void Load_Default_SourcePlusThreeRungsLargestFirst()
    {
        LadderPreset preset = LadderPresetLoader.Load(ConfigDirectory(), "default");

        Assert.Equal("default", preset.Name);
        Assert.True(preset.IncludeSource);
        Assert.False(preset.IsPassthrough);
        Assert.Equal(
            [
                new LadderRung("720p", 1280, 720, 2_800_000, 2_996_000, 4_200_000, "veryfast", "high", "3.1"),
                new LadderRung("480p", 854, 480, 1_400_000, 1_498_000, 2_100_000, "veryfast", "high", "3.1"),
                new LadderRung("360p", 640, 360, 800_000, 856_000, 1_200_000, "veryfast", "main", "3.0"),
            ],
            preset.Rungs);
    }

    [Fact]
    public void Load_Passthrough_SourceOnlyNothingTranscoded()
    {
        LadderPreset preset = LadderPresetLoader.Load(ConfigDirectory(), "passthrough");

        Assert.True(preset.IncludeSource);
        Assert.True(preset.IsPassthrough);
        Assert.Empty(preset.RungsFor(1920, 1080));
    }

    [Fact]
    public void RungsFor_1080pSource_AllThreeRungs()
    {
        LadderPreset preset = LadderPresetLoader.Load(ConfigDirectory(), "default");

        Assert.Equal(
            ["720p 1280x720", "480p 854x480", "360p 640x360"],
            preset.RungsFor(1920, 1080).Select(r => $"{r.Name} {r.Width}x{r.Height}"));
    }

    [Fact]
    public void RungsFor_720pSource_EqualSizeRungSkippedNeverUpscaled()
    {
        LadderPreset preset = LadderPresetLoader.Load(ConfigDirectory(), "default");

        // The source rung serves 720p itself; re-encoding at the same size would only cost CPU.
        Assert.Equal(["480p 854x480", "360p 640x360"], preset.RungsFor(1280, 720).Select(r => $"{r.Name} {r.Width}x{r.Height}"));
        Assert.Equal(["360p 640x360"], preset.RungsFor(854, 480).Select(r => $"{r.Name} {r.Width}x{r.Height}"));
        Assert.Empty(preset.RungsFor(640, 360));
    }

    [Theory]
    [InlineData(1440, 1080, "720p 960x720", "360p 480x360")] // 4:3 keeps 4:3
    [InlineData(1080, 1920, "720p 720x1280", "360p 360x640")] // portrait: the rung's height is the short side
    [InlineData(2560, 1080, "720p 1706x720", "360p 854x360")] // 64:27, widths rounded to even
    public void RungsFor_OtherAspect_WidthDerivedFromSourceAspectEven(int width, int height, string first, string last)
    {
        LadderPreset preset = LadderPresetLoader.Load(ConfigDirectory(), "default");

        IReadOnlyList<LadderRung> rungs = preset.RungsFor(width, height);

        Assert.Equal(first, $"{rungs[0].Name} {rungs[0].Width}x{rungs[0].Height}");
        Assert.Equal(last, $"{rungs[^1].Name} {rungs[^1].Width}x{rungs[^1].Height}");
        Assert.All(rungs, r => Assert.True(r.Width % 2 == 0 && r.Height % 2 == 0));
    }

    [Fact]
    public void Parse_MissingHeight_ErrorNamesFileAndField()
    {
        string json = """{ "name": "x", "video": [ { "name": "720p", "width": 1280, "bitrateKbps": 2800, "preset": "veryfast", "profile": "high" } ], "audio": { "passthrough": true } }""";

        LadderPresetException e = Assert.Throws<LadderPresetException>(() => LadderPresetLoader.Parse(Encoding.UTF8.GetBytes(json), "x.json"));

        Assert.Equal("video[0] (\"720p\").height", e.Field);
        Assert.StartsWith("x.json: video[0] (\"720p\").height: missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadJson_ErrorNamesFileAndPosition()
    {
        string json = "{ \"name\": \"x\", \"video\": [ " + ValidRung + " ";

        LadderPresetException e = Assert.Throws<LadderPresetException>(() => LadderPresetLoader.Parse(Encoding.UTF8.GetBytes(json), "broken.json"));

        Assert.StartsWith("broken.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("LineNumber", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MisspeltField_ErrorNamesIt()
    {
        string json = """{ "name": "x", "video": [ { "name": "720p", "width": 1280, "height": 720, "bitrateKpbs": 2800, "preset": "veryfast", "profile": "high" } ], "audio": { "passthrough": true } }""";

        LadderPresetException e = Assert.Throws<LadderPresetException>(() => LadderPresetLoader.Parse(Encoding.UTF8.GetBytes(json), "x.json"));

        Assert.Contains("bitrateKpbs", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"width\": 1281", "width", "even")]
    [InlineData("\"maxrateKbps\": 1000", "maxrateKbps", "below")]
    [InlineData("\"level\": \"3.7\"", "level", "not an H.264 level")]
    public void Parse_InvalidValue_ErrorNamesField(string replacement, string field, string reason)
    {
        string rung = ValidRung.Replace("\"width\": 1280", replacement.StartsWith("\"width\"", StringComparison.Ordinal) ? replacement : "\"width\": 1280, " + replacement, StringComparison.Ordinal);
        string json = $$"""{ "name": "x", "video": [ {{rung}} ], "audio": { "passthrough": true } }""";

        LadderPresetException e = Assert.Throws<LadderPresetException>(() => LadderPresetLoader.Parse(Encoding.UTF8.GetBytes(json), "x.json"));

        Assert.Equal($"video[0] (\"720p\").{field}", e.Field);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AudioNotPassthrough_Error()
    {
        string json = $$"""{ "name": "x", "video": [ {{ValidRung}} ], "audio": { "passthrough": false } }""";

        LadderPresetException e = Assert.Throws<LadderPresetException>(() => LadderPresetLoader.Parse(Encoding.UTF8.GetBytes(json), "x.json"));

        Assert.Equal("audio.passthrough", e.Field);
    }

    [Theory]
    [InlineData("../default")]
    [InlineData("nope")]
    public void Load_BadOrUnknownName_ErrorNamesFile(string name)
    {
        LadderPresetException e = Assert.Throws<LadderPresetException>(() => LadderPresetLoader.Load(ConfigDirectory(), name));

        Assert.Contains(name + ".json", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3.1", 1280, 720, 30.0, 2_996_000, 4_200_000, "high", "3.1")]
    [InlineData("3.1", 1280, 720, 60.0, 2_996_000, 4_200_000, "high", "3.2")] // 216 000 MB/s
    [InlineData("3.0", 854, 480, 30.0, 1_498_000, 2_100_000, "main", "3.1")] // 54 x 30 MBs x 30 > 40 500
    [InlineData(null, 640, 360, 30.0, 856_000, 1_200_000, "main", "3")]
    public void Fit_RaisesLevelOnlyWhenLimitsNeedIt(string? requested, int w, int h, double fps, long maxRate, long bufSize, string profile, string expected)
    {
        Assert.Equal(expected, H264Level.Fit(requested, w, h, fps, maxRate, bufSize, profile));
    }

    /// <summary>The repository's ffmpeg-config folder, found upwards from the test binaries.</summary>
    internal static string ConfigDirectory()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "ffmpeg-config");
            if (File.Exists(Path.Combine(candidate, "default.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("ffmpeg-config/default.json not found above " + AppContext.BaseDirectory);
    }
}
