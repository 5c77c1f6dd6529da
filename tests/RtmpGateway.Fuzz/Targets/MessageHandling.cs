using RtmpGateway.Media;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// What <c>RtmpConnection.HandleMessage</c> in the server does with each message, minus sockets,
/// sessions and logging: every parser it calls is called here the same way, so the chunk target
/// reaches them through the chunk stream as a peer would.
/// </summary>
internal static class MessageHandling
{
    public static void Handle(ChunkReader reader, in RtmpMessage message)
    {
        ReadOnlySpan<byte> payload = message.Payload.Span;
        switch (message.Type)
        {
            case RtmpMessageType.SetChunkSize:
                reader.SetChunkSize(ProtocolControl.ReadUInt32(payload, message.Type));
                break;
            case RtmpMessageType.Abort:
                reader.Abort((int)ProtocolControl.ReadUInt32(payload, message.Type));
                break;
            case RtmpMessageType.Acknowledgement:
            case RtmpMessageType.WindowAcknowledgementSize:
                ProtocolControl.ReadUInt32(payload, message.Type);
                break;
            case RtmpMessageType.UserControl:
                ProtocolControl.ReadUserControl(payload);
                break;
            case RtmpMessageType.DataAmf0:
                HandleData(Amf0.ReadAll(payload));
                break;
            case RtmpMessageType.DataAmf3:
                HandleData(Amf0.ReadAmf3Command(payload));
                break;
            case RtmpMessageType.CommandAmf0:
                CommandMessage.FromValues(Amf0.ReadAll(payload));
                break;
            case RtmpMessageType.CommandAmf3:
                CommandMessage.FromValues(Amf0.ReadAmf3Command(payload));
                break;
            case RtmpMessageType.Aggregate:
                foreach (AggregatePart part in AggregateMessage.Split(message.Payload, message.Timestamp))
                {
                    if (part.Type == RtmpMessageType.DataAmf0)
                    {
                        HandleData(Amf0.ReadAll(part.Payload.Span));
                    }
                }

                break;
            default:
                // Audio and video go to the FlvDemuxer, which the flv target covers.
                break;
        }
    }

    /// <summary>
    /// <c>RtmpConnection.HandleData</c>: ["@setDataFrame",] "onMetaData", {properties}: the
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
