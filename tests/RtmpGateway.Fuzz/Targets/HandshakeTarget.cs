using System.Buffers;
using RtmpGateway.Rtmp;
using RtmpGateway.Rtmp.Handshake;

namespace RtmpGateway.Fuzz.Targets;

/// <summary>
/// The server side of the handshake: C0+C1 (simple or digest scheme) then C2, arriving in pieces as
/// the control byte says. While bytes are missing the reader must return false and consume nothing;
/// once C0+C1 are in, the answer is S0+S1+S2 (3073 bytes), and in the simple scheme S2 echoes C1.
/// <code>
/// input = control (1 byte: piece pattern, see Arrivals.Split) | C0 | C1 | C2 | anything after
/// </code>
/// </summary>
internal sealed class HandshakeTarget : FuzzTarget
{
    private const int ResponseLength = 1 + (2 * RtmpHandshake.PacketSize);

    public override string Name => "handshake";

    public override string Description => "RtmpHandshake C0/C1/C2, simple and digest; byte 0 picks the arrival pieces";

    protected override FuzzOutcome RunCore(byte[] input)
    {
        if (input.Length == 0)
        {
            return FuzzOutcome.Refuse("empty input");
        }

        ReadOnlyMemory<byte> stream = input.AsMemory(1);
        var handshake = new RtmpHandshake();
        var response = new ArrayBufferWriter<byte>(ResponseLength);
        var arrivals = new Arrivals();
        bool c1Done = false;
        try
        {
            foreach (ReadOnlyMemory<byte> piece in Arrivals.Split(stream, input[0]))
            {
                arrivals.Append(piece);
                var reader = new SequenceReader<byte>(arrivals.Sequence());
                if (!c1Done)
                {
                    c1Done = handshake.TryReadC0C1(ref reader, response);
                    if (!c1Done)
                    {
                        RequireNothingConsumed(reader, "TryReadC0C1");
                        continue;
                    }

                    CheckResponse(handshake, stream.Span, response.WrittenSpan);
                }

                long beforeC2 = reader.Consumed;
                if (!RtmpHandshake.TryReadC2(ref reader))
                {
                    if (reader.Consumed != beforeC2)
                    {
                        throw new FuzzInvariantException($"TryReadC2 returned false after consuming {reader.Consumed - beforeC2} bytes");
                    }

                    // As the server: AdvanceTo past C0+C1 once they are read; C2 waits whole.
                    arrivals.Consume(reader.Consumed);
                    continue;
                }

                return FuzzOutcome.Accept($"{handshake.Scheme}, epoch {handshake.ClientEpoch}");
            }
        }
        catch (RtmpProtocolException ex)
        {
            return FuzzOutcome.Refuse(ex.Reason.ToString());
        }

        return FuzzOutcome.Refuse(c1Done ? "C2 incomplete" : "C0+C1 incomplete");
    }

    private static void RequireNothingConsumed(in SequenceReader<byte> reader, string method)
    {
        if (reader.Consumed != 0)
        {
            throw new FuzzInvariantException($"{method} returned false after consuming {reader.Consumed} bytes");
        }
    }

    private static void CheckResponse(RtmpHandshake handshake, ReadOnlySpan<byte> stream, ReadOnlySpan<byte> response)
    {
        if (response.Length != ResponseLength || response[0] != RtmpHandshake.RtmpVersion)
        {
            throw new FuzzInvariantException($"S0+S1+S2 is {response.Length} bytes starting 0x{response[0]:X2}");
        }

        // RTMP 1.0 §5.2.4: S2 echoes C1 (time and random echo) in the simple scheme.
        ReadOnlySpan<byte> c1 = stream.Slice(1, RtmpHandshake.PacketSize);
        if (handshake.Scheme == HandshakeScheme.Simple && !response[(1 + RtmpHandshake.PacketSize)..].SequenceEqual(c1))
        {
            throw new FuzzInvariantException("simple scheme: S2 does not echo C1");
        }
    }
}
