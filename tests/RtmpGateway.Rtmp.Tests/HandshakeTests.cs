using System.Buffers;
using RtmpGateway.Rtmp.Handshake;

namespace RtmpGateway.Rtmp.Tests;

public class HandshakeTests
{
    private static byte[] FfmpegC0C1 => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "ffmpeg-c0c1.bin"));

    private static (bool Done, long Consumed, byte[] Response) ReadC0C1(RtmpHandshake handshake, byte[] input)
    {
        var response = new ArrayBufferWriter<byte>();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        bool done = handshake.TryReadC0C1(ref reader, response);
        return (done, reader.Consumed, response.WrittenSpan.ToArray());
    }

    [Fact]
    public void TryReadC0C1_FfmpegCapture_DetectsDigestSchema1AndSignsS1()
    {
        // Data/ffmpeg-c0c1.bin: C0+C1 as FFmpeg 5.1's RTMP client sent them (version field 9.0.124.2,
        // digest scheme), captured on loopback.
        var handshake = new RtmpHandshake();
        var (done, consumed, response) = ReadC0C1(handshake, FfmpegC0C1);

        Assert.True(done);
        Assert.Equal(1537, consumed);
        Assert.Equal(HandshakeScheme.DigestSchema1, handshake.Scheme);
        Assert.Equal(1 + (2 * 1536), response.Length);
        Assert.Equal(3, response[0]);
        Assert.NotEqual(0, response[5]); // a server version: FFmpeg then verifies the S1 digest
    }

    [Fact]
    public void TryReadC0C1_CorruptedDigest_FallsBackToSimpleEcho()
    {
        byte[] c0c1 = FfmpegC0C1;
        c0c1[300] ^= 0xFF; // inside the digest-signed bytes: neither schema verifies any more
        var handshake = new RtmpHandshake();
        var (_, _, response) = ReadC0C1(handshake, c0c1);

        Assert.Equal(HandshakeScheme.Simple, handshake.Scheme);
        Assert.Equal(c0c1[1..], response[(1 + 1536)..]);
    }

    [Fact]
    public void TryReadC0C1_SimpleScheme_EchoesC1InS2AndZeroesS1Version()
    {
        // §5.2.3: C1 = time (4) + zero (4) + random (1528).
        byte[] c0c1 = new byte[1537];
        c0c1[0] = 3;
        c0c1[1] = 0x00;
        c0c1[4] = 0x2A;
        new Random(7).NextBytes(c0c1.AsSpan(9));
        var handshake = new RtmpHandshake();
        var (done, _, response) = ReadC0C1(handshake, c0c1);

        Assert.True(done);
        Assert.Equal(HandshakeScheme.Simple, handshake.Scheme);
        Assert.Equal(42u, handshake.ClientEpoch);
        Assert.Equal(new byte[4], response[5..9]);
        Assert.Equal(c0c1[1..], response[(1 + 1536)..]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(0x47)] // 'G' of an HTTP request sent to the RTMP port
    public void TryReadC0C1_WrongVersion_Throws(byte version)
    {
        byte[] c0c1 = new byte[1537];
        c0c1[0] = version;
        var ex = Assert.Throws<RtmpProtocolException>(() => ReadC0C1(new RtmpHandshake(), c0c1));
        Assert.Equal(RtmpErrorReason.HandshakeVersion, ex.Reason);
    }

    [Fact]
    public void TryReadC0C1_EveryTruncatedPrefix_ConsumesNothing()
    {
        byte[] c0c1 = FfmpegC0C1;
        for (int cut = 0; cut < c0c1.Length; cut += cut < 16 ? 1 : 97)
        {
            var (done, consumed, response) = ReadC0C1(new RtmpHandshake(), c0c1[..cut]);
            Assert.False(done);
            Assert.Equal(0, consumed);
            Assert.Empty(response);
        }
    }

    [Fact]
    public void TryReadC2_NeedsAll1536Bytes()
    {
        var shortReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[1535]));
        Assert.False(RtmpHandshake.TryReadC2(ref shortReader));
        Assert.Equal(0, shortReader.Consumed);

        var fullReader = new SequenceReader<byte>(new ReadOnlySequence<byte>(new byte[1600]));
        Assert.True(RtmpHandshake.TryReadC2(ref fullReader));
        Assert.Equal(1536, fullReader.Consumed);
    }
}
