using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Chunks;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Rtmp.Session;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// Out-of-order and malformed input: the commands are FFmpeg's own (from the publish and play
/// captures), replayed out of their order.
/// </summary>
public class ServerSessionErrorTests
{
    private static readonly Lazy<List<(RtmpMessage Message, byte[] Payload)>> PublishMessages = new(() => Read("ffmpeg-publish-chunks.bin"));
    private static readonly Lazy<List<(RtmpMessage Message, byte[] Payload)>> PlayMessages = new(() => Read("ffmpeg-play-chunks.bin"));

    // Publish capture: 0 connect, 1 releaseStream, 2 FCPublish, 3 createStream, 4 publish (stream 1).
    private static RtmpMessage Publish(int i) => PublishMessages.Value[i].Message with { Payload = PublishMessages.Value[i].Payload };

    // Play capture: 0 connect, 1 Window Ack Size, 2 createStream, 3 getStreamLength, 4 play (stream 1).
    private static RtmpMessage Play(int i) => PlayMessages.Value[i].Message with { Payload = PlayMessages.Value[i].Payload };

    private static List<(RtmpMessage, byte[])> Read(string name)
    {
        using var reader = new ChunkReader();
        return new ChunkFeeder(reader).Feed(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", name)));
    }

    private static RtmpProtocolException Fails(SessionHarness harness, params RtmpMessage[] messages)
        => Assert.Throws<RtmpProtocolException>(() =>
        {
            foreach (RtmpMessage m in messages)
            {
                harness.Session.Handle(m);
            }
        });

    [Fact]
    public void Handle_CommandBeforeConnect_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness();
        RtmpProtocolException ex = Fails(harness, Publish(3));
        Assert.Equal((RtmpErrorReason.CommandOutOfOrder, "'createStream' before connect"), (ex.Reason, ex.Message));
        Assert.Empty(harness.Output);
    }

    [Fact]
    public void Handle_ConnectTwice_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness();
        RtmpProtocolException ex = Fails(harness, Publish(0), Publish(0));
        Assert.Equal((RtmpErrorReason.CommandOutOfOrder, "connect on a connected NetConnection"), (ex.Reason, ex.Message));
    }

    [Fact]
    public void Handle_PublishOnUncreatedStream_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        RtmpProtocolException ex = Fails(harness, Publish(0), Publish(4));
        Assert.Equal((RtmpErrorReason.CommandOutOfOrder, "'publish' on message stream 1, which createStream did not create"), (ex.Reason, ex.Message));
        Assert.Empty(harness.Publishes);
    }

    [Fact]
    public void Handle_SeventeenthCreateStream_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness();
        harness.Session.Handle(Publish(0));
        for (int i = 0; i < RtmpServerSession.MaxCreatedStreams; i++)
        {
            harness.Session.Handle(Publish(3));
        }

        RtmpProtocolException ex = Fails(harness, Publish(3));
        Assert.Equal((RtmpErrorReason.CommandOutOfOrder, "more than 16 createStream calls"), (ex.Reason, ex.Message));
    }

    [Fact]
    public void Handle_PublishTwice_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        RtmpProtocolException ex = Fails(harness, Publish(0), Publish(3), Publish(4), Publish(4));
        Assert.Equal((RtmpErrorReason.CommandOutOfOrder, "publish on a connection that already publishes or plays"), (ex.Reason, ex.Message));
        Assert.Single(harness.Publishes);
    }

    [Fact]
    public void Handle_PlayAfterPlay_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        RtmpProtocolException ex = Fails(harness, Play(0), Play(2), Play(4), Play(4));
        Assert.Equal((RtmpErrorReason.CommandOutOfOrder, "play on a connection that already publishes or plays"), (ex.Reason, ex.Message));
    }

    [Fact]
    public void Handle_PublishWhileUnanswered_ThrowsCommandOutOfOrder()
    {
        using var harness = new SessionHarness();
        RtmpProtocolException ex = Fails(harness, Publish(0), Publish(3), Publish(4), Publish(4));
        Assert.Equal(RtmpErrorReason.CommandOutOfOrder, ex.Reason);
    }

    [Fact]
    public void RejectPublish_Pending_WritesErrorStatusAndKeepsRoleNone()
    {
        using var harness = new SessionHarness();
        foreach (int i in (int[])[0, 1, 2, 3, 4])
        {
            harness.Session.Handle(Publish(i));
        }

        harness.ClearOutput();
        harness.Session.RejectPublish(harness.Publishes[0], NetStatus.PublishBadName, "already being published");
        ServerSessionCaptureTests.AssertStatus(Assert.Single(harness.Replies()), 1, NetStatus.LevelError, NetStatus.PublishBadName, "already being published");
        Assert.Equal((RtmpSessionRole.None, false), (harness.Session.Role, harness.Session.IsPublishing));
        Assert.Throws<InvalidOperationException>(() => harness.Session.AcceptPublish(harness.Publishes[0], "test"));
    }

    [Fact]
    public void Handle_MediaBeforePublishAccepted_IsNotReported()
    {
        using var harness = new SessionHarness();
        foreach (int i in (int[])[0, 3, 4, 5, 6, 7])
        {
            harness.Session.Handle(Publish(i));
        }

        Assert.Empty(harness.Media);
        Assert.Empty(harness.Metadata);
    }

    [Fact]
    public void Handle_PublishNameLongerThan1024_ThrowsCommandMalformed()
    {
        using var harness = new SessionHarness();
        harness.Session.Handle(Publish(0));
        harness.Session.Handle(Publish(3));
        byte[] body = CommandWriter.Command("publish", 5, null, new string('a', 1025), "live");
        RtmpProtocolException ex = Fails(harness, Publish(4) with { Payload = body });
        Assert.Equal((RtmpErrorReason.CommandMalformed, "stream name of 1025 characters"), (ex.Reason, ex.Message));
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("80000000")]
    public void Handle_WindowAckSizeZeroOrAbove31Bits_ThrowsWindowSizeInvalid(string window)
    {
        using var harness = new SessionHarness();
        RtmpProtocolException ex = Fails(harness, Play(1) with { Payload = Hex.Bytes(window) });
        Assert.Equal(RtmpErrorReason.WindowSizeInvalid, ex.Reason);
    }

    [Fact]
    public void Handle_SetPeerBandwidthOf4Bytes_ThrowsMessageLengthMismatch()
    {
        using var harness = new SessionHarness();
        RtmpProtocolException ex = Fails(harness, Play(1) with { Type = RtmpMessageType.SetPeerBandwidth });
        Assert.Equal(RtmpErrorReason.MessageLengthMismatch, ex.Reason);
    }

    [Fact]
    public void Handle_PingRequest_WritesPingResponseWithItsTimestamp()
    {
        using var harness = new SessionHarness();
        harness.Session.Handle(Play(1) with { Type = RtmpMessageType.UserControl, Payload = Hex.Bytes("0006 12345678") });

        // §7.1.7 PingResponse (event 7) echoing the request's timestamp, on chunk stream 2.
        Assert.Equal("02000000000006040000000000" + "07" + "12345678", Convert.ToHexStringLower(harness.Output));
    }

    [Fact]
    public void Handle_PeerWindowFilled_WritesAcknowledgementOfBytesRead()
    {
        using var harness = new SessionHarness();
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", "ffmpeg-publish-chunks.bin"));

        // A Window Acknowledgement Size of 1000 first (12-byte header + 4), then FFmpeg's publish.
        harness.Feed(Hex.Bytes("02 000000 000004 05 00000000 000003e8"));
        harness.Feed(bytes);

        // §5.4.3: an Acknowledgement (type 3) after each message that fills the window, carrying the bytes read.
        var acks = harness.Replies().Where(r => r.Message.Type == RtmpMessageType.Acknowledgement).ToList();
        Assert.NotEmpty(acks);
        uint[] sequence = [.. acks.Select(a => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(a.Payload))];
        Assert.InRange(sequence[0], 1000u, 1000u + 5000 + 40 + 1000);
        Assert.All(sequence.Zip(sequence.Skip(1)), p => Assert.True(p.Second - p.First >= 1000));
        Assert.InRange(sequence[^1], (uint)(16 + bytes.Length - 1000 - 5000), (uint)(16 + bytes.Length));
        Assert.All(acks, a => Assert.Equal((2, 0u), (a.Message.ChunkStreamId, a.Message.StreamId)));
    }

    [Fact]
    public void Handle_FcUnpublishAndDeleteStream_ReportUnpublishAndClose()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        foreach (int i in (int[])[0, 3, 4])
        {
            harness.Session.Handle(Publish(i));
        }

        harness.Session.Handle(Publish(2) with { Payload = CommandWriter.Command("FCUnpublish", 6, null, "test") });
        Assert.False(harness.Session.IsPublishing);
        harness.Session.Handle(Publish(5));
        Assert.Empty(harness.Metadata);
        harness.Session.Handle(Publish(2) with { Payload = CommandWriter.Command("deleteStream", 7, null, 1.0) });
        Assert.Equal(["connected", "publish", "unpublish", "close"], harness.Events);
        Assert.Equal(RtmpSessionRole.Publisher, harness.Session.Role);
    }
}
