using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Amf;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// AMF3: the same bytes read as AMF3 values (<see cref="Amf3.ReadAll"/>) and as the body of an AMF3
/// command or data message (types 17 and 15: a format byte, then AMF0 values that switch to AMF3
/// with 0x11), each then used as the server uses command and metadata values.
/// </summary>
internal sealed class Amf3Target : FuzzTarget
{
    public override string Name => "amf3";

    public override string Description => "Amf3.ReadAll and Amf0.ReadAmf3Command, CommandMessage, onMetaData re-encoding";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        string values = Use(() => Amf3.ReadAll(input), out bool valuesRead);
        string message = Use(() => Amf0.ReadAmf3Command(input), out bool messageRead);
        string detail = $"AMF3 values: {values}; AMF3 message: {message}";
        return valuesRead || messageRead ? FuzzOutcome.Accept(detail) : FuzzOutcome.Refuse(detail);
    }

    private static string Use(Func<List<object?>> read, out bool accepted)
    {
        List<object?> values;
        try
        {
            values = read();
        }
        catch (RtmpProtocolException ex)
        {
            accepted = false;
            return ex.Reason.ToString();
        }

        accepted = true;
        return $"{values.Count} values, {AmfUse.UseValues(values)}";
    }
}
