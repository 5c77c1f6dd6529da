using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// An AMF0 command or data message body (types 20 and 18), with the server's default limits: the
/// values are read, taken as a command, and every object among them goes the way of onMetaData
/// (read into StreamMetadata, written again for viewers, and that body read back).
/// </summary>
internal sealed class Amf0Target : FuzzTarget
{
    public override string Name => "amf0";

    public override string Description => "Amf0.ReadAll, CommandMessage, onMetaData re-encoding";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        List<object?> values;
        try
        {
            values = Amf0.ReadAll(input);
        }
        catch (RtmpProtocolException ex)
        {
            return FuzzOutcome.Refuse(ex.Reason.ToString());
        }

        return FuzzOutcome.Accept($"{values.Count} values; {AmfUse.UseValues(values)}");
    }
}

/// <summary>What the server does with the values of one AMF message, shared by the AMF targets.</summary>
internal static class AmfUse
{
    /// <summary>
    /// Command parsing and the onMetaData path for each object; a documented refusal of either is
    /// reported, not thrown.
    /// </summary>
    public static string UseValues(List<object?> values)
    {
        string command;
        try
        {
            command = CommandMessage.FromValues(values).Name;
        }
        catch (RtmpProtocolException ex)
        {
            command = ex.Reason.ToString();
        }

        int reencoded = 0;
        try
        {
            MessageHandling.HandleData(values);
            foreach (AmfObject properties in values.OfType<AmfObject>())
            {
                MessageHandling.ReencodeMetadata(properties);
                reencoded++;
            }
        }
        catch (RtmpProtocolException ex)
        {
            return $"command {command}; metadata refused: {ex.Reason}";
        }

        return $"command {command}; {reencoded} objects re-encoded";
    }
}
