using System.Buffers;
using RtmpGateway.Rtmp.Amf;

namespace RtmpGateway.Rtmp.Commands;

/// <summary>Builds the AMF0 bodies of the commands a server sends (RTMP 1.0 §7.2).</summary>
public static class CommandWriter
{
    /// <summary>Chunk stream for connection-level command replies.</summary>
    public const int CommandChunkStreamId = 3;

    /// <summary>Chunk stream for stream-level status and data (onStatus, onMetaData).</summary>
    public const int StreamChunkStreamId = 5;

    /// <summary>A command body: name, transaction id, command object, then arguments.</summary>
    public static byte[] Command(string name, double transactionId, object? commandObject, params ReadOnlySpan<object?> args)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Amf0.Write(buffer, name);
        Amf0.Write(buffer, transactionId);
        Amf0.Write(buffer, commandObject);
        foreach (object? arg in args)
        {
            Amf0.Write(buffer, arg);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The reply to connect (§7.2.1.1): properties, then the information object.</summary>
    public static byte[] ConnectResult(double transactionId, double objectEncoding)
    {
        var properties = new AmfObject
        {
            { "fmsVer", "FMS/3,5,3,888" },
            { "capabilities", 31.0 },
            { "mode", 1.0 },
        };
        var information = new AmfObject
        {
            { "level", NetStatus.LevelStatus },
            { "code", NetStatus.ConnectSuccess },
            { "description", "Connection succeeded." },
            { "objectEncoding", objectEncoding },
        };
        return Command("_result", transactionId, properties, information);
    }

    /// <summary>An onStatus notification (§7.2.2): transaction 0, null command object, the info object.</summary>
    public static byte[] OnStatus(string level, string code, string description, string? details = null)
    {
        var info = new AmfObject
        {
            { "level", level },
            { "code", code },
            { "description", description },
        };
        if (details is not null)
        {
            info.Add("details", details);
        }

        return Command("onStatus", 0, null, info);
    }

    /// <summary>A data message body (type 18): a handler name then values, e.g. onMetaData.</summary>
    public static byte[] Data(string handler, params ReadOnlySpan<object?> values)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Amf0.Write(buffer, handler);
        foreach (object? value in values)
        {
            Amf0.Write(buffer, value);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
