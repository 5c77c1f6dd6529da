using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>
/// Forwards av_log to an <see cref="ILogger"/>. The callback runs on whatever thread FFmpeg logs from
/// (codec worker threads included), so it never lets an exception escape: that would end the process.
/// </summary>
internal static unsafe partial class FFmpegLog
{
    private const int LineSize = 1024;

    private static ILogger? s_logger;

    /// <summary>The most verbose av_log level forwarded; anything above it returns at once.</summary>
    private static int s_maxLevel = FFmpegConstants.AV_LOG_INFO;

    /// <summary>
    /// av_log_format_line2's print_prefix, per thread: after a message without a trailing newline the
    /// next one continues the line and gets no "[component @ 0x...]" prefix.
    /// </summary>
    [ThreadStatic]
    private static bool t_continuesLine;

    internal static void Attach(ILogger logger)
    {
        int maxLevel = MostVerboseEnabled(logger);
        s_logger = logger;
        Volatile.Write(ref s_maxLevel, maxLevel);
        NativeMethods.av_log_set_level(maxLevel);
        NativeMethods.av_log_set_callback(&OnLog);
    }

    /// <summary>libavutil/log.h levels to Microsoft.Extensions.Logging levels.</summary>
    internal static LogLevel ToLogLevel(int level) => level switch
    {
        <= FFmpegConstants.AV_LOG_FATAL => LogLevel.Critical,
        <= FFmpegConstants.AV_LOG_ERROR => LogLevel.Error,
        <= FFmpegConstants.AV_LOG_WARNING => LogLevel.Warning,
        <= FFmpegConstants.AV_LOG_INFO => LogLevel.Information,
        <= FFmpegConstants.AV_LOG_DEBUG => LogLevel.Debug,
        _ => LogLevel.Trace,
    };

    private static int MostVerboseEnabled(ILogger logger) =>
        logger.IsEnabled(LogLevel.Trace) ? FFmpegConstants.AV_LOG_TRACE
        : logger.IsEnabled(LogLevel.Debug) ? FFmpegConstants.AV_LOG_DEBUG
        : logger.IsEnabled(LogLevel.Information) ? FFmpegConstants.AV_LOG_INFO
        : logger.IsEnabled(LogLevel.Warning) ? FFmpegConstants.AV_LOG_WARNING
        : logger.IsEnabled(LogLevel.Error) ? FFmpegConstants.AV_LOG_ERROR
        : logger.IsEnabled(LogLevel.Critical) ? FFmpegConstants.AV_LOG_FATAL
        : FFmpegConstants.AV_LOG_QUIET;

    /// <summary>
    /// libavutil/log.h: <c>void (*callback)(void*, int, const char*, va_list)</c>. The va_list is handed
    /// on untouched to av_log_format_line2, which consumes it once.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(nint avcl, int level, nint format, nint args)
    {
        try
        {
            ILogger? logger = s_logger;
            if (logger is null || level > Volatile.Read(ref s_maxLevel))
            {
                return;
            }

            LogLevel mapped = ToLogLevel(level);
            if (!logger.IsEnabled(mapped))
            {
                return;
            }

            byte* line = stackalloc byte[LineSize];
            int printPrefix = t_continuesLine ? 0 : 1;
            int length = NativeMethods.av_log_format_line2(avcl, level, format, args, line, LineSize, &printPrefix);
            t_continuesLine = printPrefix == 0;
            if (length <= 0)
            {
                return;
            }

            string text = Encoding.UTF8.GetString(line, Math.Min(length, LineSize - 1)).TrimEnd('\n', '\r', ' ');
            if (text.Length > 0)
            {
                LogLine(logger, mapped, text);
            }
        }
#pragma warning disable CA1031 // An exception must not cross into FFmpeg's C stack: it would end the process.
        catch (Exception)
#pragma warning restore CA1031
        {
            // Nothing can be reported from here without risking another exception.
        }
    }

    [LoggerMessage(EventId = 4001, EventName = "FFmpegLog", Message = "{FFmpegLine}")]
    private static partial void LogLine(ILogger logger, LogLevel level, string ffmpegLine);
}
