using System.Buffers;
using RtmpGateway.Rtmp.Amf;

namespace RtmpGateway.Rtmp.Commands;

/// <summary>
/// Builds the AMF0 bodies of the commands a server sends (RTMP 1.0 §7.2). Values may come from a
/// peer (the onMetaData relay writes what the publisher sent), and AMF3 references let a few bytes
/// stand for a large value, so every body is capped at what one RTMP message can carry.
/// </summary>
public static class CommandWriter
{
    /// <summary>
    /// The longest message body: the message length field of the message header (RTMP 1.0 §6.1.1)
    /// and of the type-0/1 chunk message header (§5.3.1.2) is 3 bytes, so at most 2^24 - 1.
    /// </summary>
    public const int MaxBodyLength = 0xFF_FFFF;

    /// <summary>Chunk stream for connection-level command replies.</summary>
    public const int CommandChunkStreamId = 3;

    /// <summary>Chunk stream for stream-level status and data (onStatus, onMetaData).</summary>
    public const int StreamChunkStreamId = 5;

    /// <summary>A command body: name, transaction id, command object, then arguments.</summary>
    /// <exception cref="RtmpProtocolException"><see cref="RtmpErrorReason.MessageTooLarge"/>: the body would exceed <see cref="MaxBodyLength"/>.</exception>
    public static byte[] Command(string name, double transactionId, object? commandObject, params ReadOnlySpan<object?> args)
    {
        var buffer = new BodyWriter();
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
    /// <exception cref="RtmpProtocolException">
    /// <see cref="RtmpErrorReason.MessageTooLarge"/>: the body would exceed <see cref="MaxBodyLength"/>, as values
    /// read from AMF3 can (each string reference is written out in full; AMF0 refers to 65 536 objects at most).
    /// </exception>
    public static byte[] Data(string handler, params ReadOnlySpan<object?> values)
    {
        var buffer = new BodyWriter();
        Amf0.Write(buffer, handler);
        foreach (object? value in values)
        {
            Amf0.Write(buffer, value);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An <see cref="ArrayBufferWriter{T}"/> that refuses to grow past <see cref="MaxBodyLength"/>.</summary>
    private sealed class BodyWriter : IBufferWriter<byte>
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

        public void Advance(int count)
        {
            Require(count);
            _buffer.Advance(count);
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Require(sizeHint);
            return _buffer.GetMemory(sizeHint);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Require(sizeHint);
            return _buffer.GetSpan(sizeHint);
        }

        private void Require(int count)
        {
            if ((long)_buffer.WrittenCount + count > MaxBodyLength)
            {
                throw new RtmpProtocolException(
                    RtmpErrorReason.MessageTooLarge, $"an AMF0 body of more than {MaxBodyLength} bytes, the most one RTMP message carries");
            }
        }
    }
}
