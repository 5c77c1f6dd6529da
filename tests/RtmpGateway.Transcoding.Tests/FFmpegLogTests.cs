using Microsoft.Extensions.Logging;
using RtmpGateway.Transcoding.Interop;

namespace RtmpGateway.Transcoding.Tests;

[Trait("Category", "Native")]
public sealed class FFmpegLogTests
{
    [Theory]
    [InlineData(0, LogLevel.Critical)]
    [InlineData(8, LogLevel.Critical)]
    [InlineData(16, LogLevel.Error)]
    [InlineData(24, LogLevel.Warning)]
    [InlineData(32, LogLevel.Information)]
    [InlineData(40, LogLevel.Debug)]
    [InlineData(48, LogLevel.Debug)]
    [InlineData(56, LogLevel.Trace)]
    public void ToLogLevel_AvLogLevels_MapToLoggerLevels(int avLevel, LogLevel expected)
    {
        Assert.Equal(expected, FFmpegLog.ToLogLevel(avLevel));
    }

    [Fact]
    public void AttachLogger_EncoderOpens_X264InfoLinesArriveFormatted()
    {
        var logger = new ListLogger();
        FFmpegRuntime.AttachLogger(logger);

        using (new VideoEncoder(new VideoEncoderOptions { Width = 160, Height = 120, BitRate = 200_000, KeyframeInterval = 60 }))
        {
        }

        // libx264 reports its profile at AV_LOG_INFO through av_log, prefixed with its context.
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Information && l.Text.StartsWith("[libx264 @ 0x", StringComparison.Ordinal) && l.Text.Contains("profile High", StringComparison.Ordinal));
        Assert.DoesNotContain(logger.Lines, l => l.Text.EndsWith('\n'));
    }

    private sealed class ListLogger : ILogger
    {
        private readonly Lock _gate = new();
        private readonly List<(LogLevel Level, string Text)> _lines = [];

        public List<(LogLevel Level, string Text)> Lines
        {
            get
            {
                lock (_gate)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate)
            {
                _lines.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
