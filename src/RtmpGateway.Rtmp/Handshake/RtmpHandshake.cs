using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace RtmpGateway.Rtmp.Handshake;

/// <summary>Which handshake the client used; the server answers in the same scheme.</summary>
public enum HandshakeScheme
{
    /// <summary>RTMP 1.0 §5.2: S1 random, S2 echoes C1.</summary>
    Simple,

    /// <summary>Flash Player 9+ scheme: C1 carries an HMAC-SHA256 digest at a keyed offset (digest block first).</summary>
    DigestSchema1,

    /// <summary>As <see cref="DigestSchema1"/> with the key block first.</summary>
    DigestSchema0,
}

/// <summary>
/// The server side of the RTMP handshake (RTMP 1.0 §5.2) in both the simple scheme and the digest
/// scheme that Flash-era clients, librtmp and FFmpeg use. Pure: bytes in, bytes out.
/// </summary>
/// <remarks>
/// <code>
///  Client                     Server
///  C0 (1: version 3) + C1 (1536: time 4, zero/version 4, random 1528)  ->
///                  &lt;-  S0 (1) + S1 (1536) + S2 (1536)
///  C2 (1536)                                                           ->
/// </code>
/// </remarks>
public sealed class RtmpHandshake
{
    /// <summary>C1, S1, C2 and S2 are each 1536 octets long (RTMP 1.0 §5.2.3).</summary>
    public const int PacketSize = 1536;

    /// <summary>"In this version of the specification, this field MUST be 3" (§5.2.2).</summary>
    public const byte RtmpVersion = 3;

    private const int DigestLength = 32;

    // The digest offset is taken modulo 728 so that the 32-byte digest stays inside its 764-byte block
    // (764 - 4 offset bytes - 32 digest bytes).
    private const int DigestOffsetModulo = 728;

    private static readonly byte[] SharedTail =
    [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ];

    // "Genuine Adobe Flash Player 001": the first 30 bytes sign C1.
    private static readonly byte[] ClientKey = [.. "Genuine Adobe Flash Player 001"u8, .. SharedTail];

    // "Genuine Adobe Flash Media Server 001": the first 36 bytes sign S1, all 68 derive the S2 key.
    private static readonly byte[] ServerKey = [.. "Genuine Adobe Flash Media Server 001"u8, .. SharedTail];

    private const int ClientKeyTextLength = 30;
    private const int ServerKeyTextLength = 36;

    /// <summary>Server version written into S1 bytes 4..7 in the digest scheme (FMS 3.5.3.1 style).</summary>
    private static readonly byte[] ServerVersion = [0x03, 0x05, 0x03, 0x01];

    /// <summary>The scheme detected from C1 (valid once <see cref="TryReadC0C1"/> returned true).</summary>
    public HandshakeScheme Scheme { get; private set; }

    /// <summary>The epoch the client wrote into C1.</summary>
    public uint ClientEpoch { get; private set; }

    /// <summary>
    /// Reads C0 and C1 if all 1537 bytes are present; returns false (consuming nothing) otherwise.
    /// Throws <see cref="RtmpProtocolException"/> for a version other than 3.
    /// </summary>
    public bool TryReadC0C1(ref SequenceReader<byte> reader, IBufferWriter<byte> response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!reader.TryPeek(out byte version))
        {
            return false;
        }

        // §5.2.2: "A server that does not recognize the client's requested version SHOULD respond
        // with 3." Versions 0-2 are deprecated, 4-31 reserved, 32-255 are not allowed (they
        // distinguish RTMP from text protocols). 6 is RTMPE, which is not offered here.
        if (version != RtmpVersion)
        {
            throw new RtmpProtocolException(RtmpErrorReason.HandshakeVersion, $"handshake version byte {version}, expected 3");
        }

        if (reader.Remaining < 1 + PacketSize)
        {
            return false;
        }

        reader.Advance(1);
        Span<byte> c1 = stackalloc byte[PacketSize];
        reader.TryCopyTo(c1);
        reader.Advance(PacketSize);
        WriteResponse(c1, response);
        return true;
    }

    /// <summary>Reads C2 (1536 bytes) if present. Its content is not checked, as most servers do.</summary>
    public static bool TryReadC2(ref SequenceReader<byte> reader)
    {
        if (reader.Remaining < PacketSize)
        {
            return false;
        }

        reader.Advance(PacketSize);
        return true;
    }

    private void WriteResponse(ReadOnlySpan<byte> c1, IBufferWriter<byte> response)
    {
        ClientEpoch = BinaryPrimitives.ReadUInt32BigEndian(c1);
        Span<byte> clientDigest = stackalloc byte[DigestLength];
        Scheme = DetectScheme(c1, clientDigest);

        Span<byte> all = response.GetSpan(1 + (2 * PacketSize))[..(1 + (2 * PacketSize))];
        all[0] = RtmpVersion;
        Span<byte> s1 = all.Slice(1, PacketSize);
        Span<byte> s2 = all.Slice(1 + PacketSize, PacketSize);

        RandomNumberGenerator.Fill(s1);
        BinaryPrimitives.WriteUInt32BigEndian(s1, 0);
        if (Scheme == HandshakeScheme.Simple)
        {
            // §5.2.3: S1 "Zero (4 bytes): This field MUST be all 0s."
            s1.Slice(4, 4).Clear();

            // §5.2.4: S2 echoes C1: "Time (4 bytes): ... the timestamp sent by the peer in S1 (for C2)
            // or C1 (for S2)", then "Random echo (1528 bytes)".
            c1.CopyTo(s2);
        }
        else
        {
            ServerVersion.CopyTo(s1[4..]);
            int s1DigestPos = DigestPosition(s1, Scheme);
            Span<byte> s1Digest = stackalloc byte[DigestLength];
            ComputeDigest(s1, s1DigestPos, ServerKey.AsSpan(0, ServerKeyTextLength), s1Digest);
            s1Digest.CopyTo(s1[s1DigestPos..]);

            // S2: random, its last 32 bytes an HMAC of the rest keyed by HMAC(full server key, C1 digest).
            RandomNumberGenerator.Fill(s2);
            Span<byte> key = stackalloc byte[DigestLength];
            HMACSHA256.HashData(ServerKey, clientDigest, key);
            HMACSHA256.HashData(key, s2[..(PacketSize - DigestLength)], s2[(PacketSize - DigestLength)..]);
        }

        response.Advance(all.Length);
    }

    /// <summary>
    /// Finds a valid client digest in either schema; falls back to the simple scheme where neither
    /// verifies (as every server must, for clients that send random C1 bytes).
    /// </summary>
    private static HandshakeScheme DetectScheme(ReadOnlySpan<byte> c1, Span<byte> clientDigest)
    {
        // A zero version field means the client does the simple handshake.
        if (BinaryPrimitives.ReadUInt32BigEndian(c1[4..]) == 0)
        {
            return HandshakeScheme.Simple;
        }

        foreach (HandshakeScheme scheme in (ReadOnlySpan<HandshakeScheme>)[HandshakeScheme.DigestSchema1, HandshakeScheme.DigestSchema0])
        {
            int pos = DigestPosition(c1, scheme);
            ComputeDigest(c1, pos, ClientKey.AsSpan(0, ClientKeyTextLength), clientDigest);
            if (CryptographicOperations.FixedTimeEquals(clientDigest, c1.Slice(pos, DigestLength)))
            {
                return scheme;
            }
        }

        return HandshakeScheme.Simple;
    }

    /// <summary>
    /// Digest position: the sum of the 4 offset bytes at the start of the digest block, modulo 728,
    /// plus the start of the block's data. Schema 1: time(4) version(4) digest block(764) key block(764).
    /// Schema 0: time(4) version(4) key block(764) digest block(764).
    /// </summary>
    internal static int DigestPosition(ReadOnlySpan<byte> packet, HandshakeScheme scheme)
    {
        int blockStart = scheme == HandshakeScheme.DigestSchema1 ? 8 : 8 + 764;
        int sum = packet[blockStart] + packet[blockStart + 1] + packet[blockStart + 2] + packet[blockStart + 3];
        return blockStart + 4 + (sum % DigestOffsetModulo);
    }

    /// <summary>HMAC-SHA256 over the packet with the 32 digest bytes at <paramref name="digestPos"/> left out.</summary>
    internal static void ComputeDigest(ReadOnlySpan<byte> packet, int digestPos, ReadOnlySpan<byte> key, Span<byte> digest)
    {
        Span<byte> message = stackalloc byte[PacketSize - DigestLength];
        packet[..digestPos].CopyTo(message);
        packet[(digestPos + DigestLength)..].CopyTo(message[digestPos..]);
        HMACSHA256.HashData(key, message, digest);
    }
}
