using System.Globalization;
using System.Text;
using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding.Tests;

/// <summary>
/// The C# layout table and constants against the installed FFmpeg headers: a C program generated from
/// the table's own field and constant names is compiled with gcc and prints offsetof/sizeof and values.
/// </summary>
[Trait("Category", "Native")]
public sealed class FFmpegLayoutTests
{
    [Fact]
    public void LayoutTable_ComparedWithInstalledHeaders_EveryOffsetSizeAndConstantMatches()
    {
        Assert.True(FFmpegRuntime.TryInitialize(out FFmpegStatus status), status.Message);
        FFmpegLayout layout = FFmpegLayout.Current;

        Dictionary<string, string> measured = CompileAndRunProbe(layout);

        // The headers must be those of the loaded libraries, or the comparison means nothing.
        int loadedAvutil = status.Libraries.Single(l => l.Name == "avutil").Version.Major;
        int loadedAvcodec = status.Libraries.Single(l => l.Name == "avcodec").Version.Major;
        Assert.Equal($"{loadedAvutil} {loadedAvcodec}", measured["majors"]);

        var mismatches = new List<string>();
        foreach ((string name, LayoutField field) in layout.Fields)
        {
            string expected = $"{field.Offset} {field.Size}";
            if (measured[$"field {name}"] != expected)
            {
                mismatches.Add($"{name}: headers say offset/size {measured[$"field {name}"]}, table {layout.Name} says {expected}");
            }
        }

        foreach ((string name, long value) in FFmpegConstants.All)
        {
            string expected = value.ToString(CultureInfo.InvariantCulture);
            if (measured[$"const {name}"] != expected)
            {
                mismatches.Add($"{name}: headers say {measured[$"const {name}"]}, C# says {expected}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
        Assert.Equal(layout.Fields.Count + FFmpegConstants.All.Count + 1, measured.Count);
    }

    [Fact]
    public void LayoutTable_ForLoadedMajor_IsTheOneCheckedAgainstHeaders()
    {
        Assert.True(FFmpegRuntime.TryInitialize(out FFmpegStatus status), status.Message);
        Assert.Equal("5.1", status.Layout);
        Assert.True(FFmpegLayout.Current.VerifiedAgainstHeaders);
    }

    private static Dictionary<string, string> CompileAndRunProbe(FFmpegLayout layout)
    {
        var c = new StringBuilder("""
            #include <stdio.h>
            #include <stddef.h>
            #include <errno.h>
            #include <libavcodec/avcodec.h>
            #include <libavutil/avutil.h>
            #include <libavutil/dict.h>
            #include <libavutil/error.h>
            #include <libavutil/frame.h>
            #include <libavutil/log.h>
            #include <libavutil/pixfmt.h>
            #include <libswscale/swscale.h>
            #define FIELD(T, f) printf("field " #T "." #f "=%zu %zu\n", offsetof(T, f), sizeof(((T *)0)->f))
            #define CONSTANT(name, e) printf("const " name "=%lld\n", (long long)(e))
            int main(void) {
                printf("majors=%d %d\n", LIBAVUTIL_VERSION_MAJOR, LIBAVCODEC_VERSION_MAJOR);

            """);
        foreach (string name in layout.Fields.Keys)
        {
            string[] parts = name.Split('.');
            c.Append(CultureInfo.InvariantCulture, $"    FIELD({parts[0]}, {parts[1]});\n");
        }

        foreach (string name in FFmpegConstants.All.Keys)
        {
            // The C# names are C expressions: AV_PKT_FLAG_KEY, AVERROR(EAGAIN), ...
            c.Append(CultureInfo.InvariantCulture, $"    CONSTANT(\"{name}\", {name});\n");
        }

        c.Append("    return 0;\n}\n");

        string dir = TestMedia.TempDirectory();
        try
        {
            string source = Path.Combine(dir, "layout.c");
            string binary = Path.Combine(dir, "layout");
            File.WriteAllText(source, c.ToString());
            (int pkgExit, string cflags, string pkgErr) = TestMedia.Run("pkg-config", "--cflags", "libavcodec", "libavutil", "libswscale");
            Assert.True(pkgExit == 0, $"pkg-config: {pkgErr} (the layout test needs the FFmpeg -dev packages: bash .ci/setup.sh --tests)");
            var gccArgs = new List<string> { "-std=c11", "-Wall", "-Werror", "-o", binary, source };
            gccArgs.AddRange(cflags.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            TestMedia.RunChecked("gcc", [.. gccArgs]);
            (int exit, string stdout, string stderr) = TestMedia.Run(binary);
            Assert.True(exit == 0, stderr);
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
