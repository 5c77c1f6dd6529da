using System.Globalization;
using System.Runtime.InteropServices;

namespace RtmpGateway.Transcoding.Interop;

/// <summary>The one place that turns AVERROR codes into <see cref="FFmpegError"/> and text.</summary>
internal static unsafe class FFmpegResult
{
    internal static FFmpegError ToError(int code)
    {
        if (code >= 0)
        {
            return FFmpegError.Ok;
        }

        return code switch
        {
            FFmpegConstants.AVERROR_EAGAIN => FFmpegError.Again,
            FFmpegConstants.AVERROR_ENOMEM => FFmpegError.OutOfMemory,
            FFmpegConstants.AVERROR_EINVAL => FFmpegError.InvalidArgument,
            _ when code == FFmpegConstants.AVERROR_EOF => FFmpegError.EndOfFile,
            _ when code == FFmpegConstants.AVERROR_INVALIDDATA => FFmpegError.InvalidData,
            _ when code == FFmpegConstants.AVERROR_DECODER_NOT_FOUND || code == FFmpegConstants.AVERROR_ENCODER_NOT_FOUND => FFmpegError.CodecNotFound,
            _ when code == FFmpegConstants.AVERROR_OPTION_NOT_FOUND => FFmpegError.OptionNotFound,
            _ => FFmpegError.Other,
        };
    }

    /// <summary>av_strerror's description of <paramref name="code"/>.</summary>
    internal static string Describe(int code)
    {
        const int Size = 256;
        byte* buffer = stackalloc byte[Size];
        if (NativeMethods.av_strerror(code, buffer, Size) < 0)
        {
            // "a negative value if a description for errnum cannot be found", and buffer then holds a generic text.
            return string.Create(CultureInfo.InvariantCulture, $"error {code}: {Marshal.PtrToStringUTF8((nint)buffer)}");
        }

        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }

    internal static FFmpegException Exception(string call, int code) =>
        new(ToError(code), code, string.Create(CultureInfo.InvariantCulture, $"{call} failed: {Describe(code)} ({ToError(code)}, {code})"));

    /// <summary>Returns a non-negative <paramref name="code"/>; throws <see cref="FFmpegException"/> for any error.</summary>
    internal static int Check(int code, string call) => code >= 0 ? code : throw Exception(call, code);
}
