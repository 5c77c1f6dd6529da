using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding.Tests;

[Trait("Category", "Native")]
public sealed class FFmpegRuntimeTests
{
    [Fact]
    public void TryInitialize_OnThisMachine_ReportsFFmpeg51Libraries()
    {
        Assert.True(FFmpegRuntime.TryInitialize(out FFmpegStatus status), status.Message);

        Assert.StartsWith("5.1", status.VersionInfo, StringComparison.Ordinal);
        Assert.Equal("5.1", status.Layout);
        var majors = status.Libraries.ToDictionary(l => l.FileName, l => l.Version.Major);
        Assert.Equal(57, majors["libavutil.so.57"]);
        Assert.Equal(59, majors["libavcodec.so.59"]);
        Assert.Equal(6, majors["libswscale.so.6"]);
        Assert.Equal(8, majors["libavfilter.so.8"]);
        Assert.Equal(4, majors["libswresample.so.4"]);
        Assert.Contains("libavcodec.so.59 59.", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_MissingLibrary_SaysWhatToInstallWithoutThrowing()
    {
        SonameSet broken = SonameSet.FFmpeg51.WithFileName("avcodec", "libavcodec.so.999");

        FFmpegStatus status = FFmpegRuntime.TryLoad([broken], commit: false);

        Assert.False(status.IsAvailable);
        Assert.Empty(status.Libraries);
        Assert.Contains("not found: libavcodec.so.999 (package libavcodec59)", status.Message, StringComparison.Ordinal);
        Assert.Contains("install libavutil57 libavcodec59 libswscale6 libavfilter8 libswresample4 (Debian 12: apt-get install ffmpeg)", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_LibrariesOfAnotherMajorThanTheTable_AreRejected()
    {
        // The 5.1 sonames with the 7.x table: the majors do not match the table's.
        SonameSet mismatched = SonameSet.FFmpeg51 with { Layout = FFmpegLayout.FFmpeg7 };

        FFmpegStatus status = FFmpegRuntime.TryLoad([mismatched], commit: false);

        Assert.False(status.IsAvailable);
        Assert.Contains("libavutil 57 / libavcodec 59 are not the supported majors 59 / 61", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_TableWithWrongOffset_FailsTheSentinelChecks()
    {
        // AVFrame.pts one int64 too early: that reads the sample aspect ratio {0, 1}, not AV_NOPTS_VALUE.
        // (One too late would read pkt_dts, also AV_NOPTS_VALUE in a fresh frame: the sentinels cannot
        // tell those two apart; the layout test, which compares with the headers, can.)
        FFmpegLayout wrong = FFmpegLayout.FFmpeg51 with { FramePts = new LayoutField(128, 8) };
        SonameSet set = SonameSet.FFmpeg51 with { Layout = wrong };

        FFmpegStatus status = FFmpegRuntime.TryLoad([set], commit: false);

        Assert.False(status.IsAvailable);
        Assert.Contains("struct layout check failed (AVFrame.pts = ", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_NewestFirst_FallsBackToTheInstalledRelease()
    {
        FFmpegStatus status = FFmpegRuntime.TryLoad(SonameSet.Default, commit: false);

        Assert.True(status.IsAvailable, status.Message);
        Assert.Equal("5.1", status.Layout);
    }

    [Fact]
    public void FFmpegResult_KnownCodes_MapToEnumAndStrerrorText()
    {
        Assert.True(FFmpegRuntime.TryInitialize(out FFmpegStatus status), status.Message);

        Assert.Equal(FFmpegError.Again, FFmpegResult.ToError(-11));
        Assert.Equal(FFmpegError.EndOfFile, FFmpegResult.ToError(FFmpegConstants.AVERROR_EOF));
        Assert.Equal(FFmpegError.InvalidData, FFmpegResult.ToError(FFmpegConstants.AVERROR_INVALIDDATA));
        Assert.Equal(FFmpegError.OutOfMemory, FFmpegResult.ToError(-12));
        Assert.Equal(FFmpegError.Ok, FFmpegResult.ToError(3));
        Assert.Equal(FFmpegError.Other, FFmpegResult.ToError(-5));
        Assert.Equal("End of file", FFmpegResult.Describe(FFmpegConstants.AVERROR_EOF));
        Assert.Equal("Invalid data found when processing input", FFmpegResult.Describe(FFmpegConstants.AVERROR_INVALIDDATA));

        FFmpegException e = FFmpegResult.Exception("avcodec_send_packet", FFmpegConstants.AVERROR_INVALIDDATA);
        Assert.Equal(FFmpegError.InvalidData, e.Error);
        Assert.Equal(FFmpegConstants.AVERROR_INVALIDDATA, e.Code);
        Assert.Contains("Invalid data found when processing input", e.Message, StringComparison.Ordinal);
    }
}
