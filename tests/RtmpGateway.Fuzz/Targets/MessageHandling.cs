using RtmpGateway.Media;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// What the server does with the data messages a peer sends (onMetaData read and written again for
/// viewers), for the AMF targets and the chunk target's session host.
/// </summary>
internal static class MessageHandling
{
    /// <summary>
    /// A data message as the server's session reads it: ["@setDataFrame",] "onMetaData", {properties}: the
    /// properties are read into <see cref="StreamMetadata"/> and written again as the onMetaData
    /// message that RTMP viewers receive.
    /// </summary>
    public static void HandleData(List<object?> values)
    {
        if (values.Count == 0 || values[0] is not string handler)
        {
            return;
        }

        int index = handler == "@setDataFrame" ? 1 : 0;
        if (index < values.Count && values[index] is "onMetaData" && index + 1 < values.Count && values[index + 1] is AmfObject properties)
        {
            ReencodeMetadata(properties);
        }
    }

    /// <summary>
    /// Metadata from a publisher, as the server turns it into what its viewers get. A peer can wrap
    /// any object it likes in onMetaData, so the AMF targets send every object they read through
    /// here. The body written must read back with our own reader: it is what we relay.
    /// </summary>
    public static void ReencodeMetadata(AmfObject properties)
    {
        StreamMetadata.FromProperties(properties);
        byte[] body = CommandWriter.Data("onMetaData", properties);
        try
        {
            Amf0.ReadAll(body);
        }
        catch (RtmpProtocolException ex)
        {
            throw new FuzzInvariantException(
                $"the onMetaData body we wrote ({body.Length} bytes) does not read back: {ex.Reason} {ex.Message}", ex);
        }
    }

    /// <summary>FNV-1a over a payload: a message trace compares contents without keeping them.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong hash = 0xCBF2_9CE4_8422_2325;
        foreach (byte b in data)
        {
            hash = (hash ^ b) * 0x0000_0100_0000_01B3;
        }

        return hash;
    }
}
