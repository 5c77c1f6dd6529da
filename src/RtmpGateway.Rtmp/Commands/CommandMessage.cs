using RtmpGateway.Rtmp.Amf;

namespace RtmpGateway.Rtmp.Commands;

/// <summary>
/// A command message (RTMP 1.0 §7.2): command name, transaction id, command object, then the
/// command's own arguments.
/// </summary>
public sealed record CommandMessage(string Name, double TransactionId, AmfObject? CommandObject, IReadOnlyList<object?> Arguments)
{
    /// <summary>Builds a command from the AMF values of its message body.</summary>
    public static CommandMessage FromValues(IReadOnlyList<object?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0 || values[0] is not string name)
        {
            throw new RtmpProtocolException(RtmpErrorReason.CommandMalformed, "command message does not start with a command name string");
        }

        // Some clients leave the transaction id out of notifications; treat it as 0.
        double txn = values.Count > 1 && values[1] is double d ? d : 0;
        AmfObject? commandObject = values.Count > 2 ? values[2] as AmfObject : null;
        object?[] args = values.Count > 3 ? [.. values.Skip(3)] : [];
        return new CommandMessage(name, txn, commandObject, args);
    }

    /// <summary>The i-th argument after the command object as a string, or null.</summary>
    public string? StringArgument(int index) => index < Arguments.Count ? Arguments[index] as string : null;

    /// <summary>The i-th argument after the command object as a number, or null.</summary>
    public double? NumberArgument(int index) => index < Arguments.Count && Arguments[index] is double d ? d : null;
}
