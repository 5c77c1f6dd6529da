using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Rtmp.Session;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// The session fed what FFmpeg 5.1 really sent (Data/ffmpeg-*-chunks.bin, listed in
/// ffmpeg-*-messages.txt); the replies are pinned against RTMP 1.0 §5.4 (protocol control framing:
/// chunk stream 2, message stream 0) and §7.2.1.1 (the connect sequence), and what FFmpeg waits for.
/// </summary>
public class ServerSessionCaptureTests
{
    // §5.4.4 Window Acknowledgement Size (type 5), 2 500 000 = 0x002625a0: fmt 0 on csid 2, timestamp 0,
    // length 4, type, message stream 0 (little-endian), the 4-byte window.
    private const string WindowAckSizeChunk = "02 000000 000004 05 00000000 002625a0";

    // §5.4.5 Set Peer Bandwidth (type 6): the window, then limit type 2 (dynamic).
    private const string SetPeerBandwidthChunk = "02 000000 000005 06 00000000 002625a0 02";

    // §5.4.1 Set Chunk Size (type 1): 4096, the first bit zero.
    private const string SetChunkSizeChunk = "02 000000 000004 01 00000000 00001000";

    // §7.1.7 User Control (type 4) Stream Begin (event 0) for message stream 1.
    private const string StreamBegin1Chunk = "02 000000 000006 04 00000000 0000 00000001";

    [Fact]
    public void Handle_FfmpegConnect_WritesWindowAckBandwidthChunkSizeThenConnectResult()
    {
        using var harness = new SessionHarness();
        harness.FeedCapture("ffmpeg-publish-chunks.bin", upToMessages: 1);

        byte[] output = harness.Output;
        string controls = Convert.ToHexStringLower(output.AsSpan(0, 16 + 17 + 16));
        Assert.Equal(Compact(WindowAckSizeChunk + SetPeerBandwidthChunk + SetChunkSizeChunk), controls);

        // §7.2.1.1: "_result" (transaction 1 of FFmpeg's connect), the properties, then the information
        // object with NetConnection.Connect.Success; on chunk stream 3, message stream 0.
        var replies = harness.Replies();
        Assert.Equal(4, replies.Count);
        var (result, payload) = replies[3];
        Assert.Equal((3, RtmpMessageType.CommandAmf0, 0u), (result.ChunkStreamId, result.Type, result.StreamId));
        List<object?> values = Amf0.ReadAll(payload);
        Assert.Equal("_result", values[0]);
        Assert.Equal(1.0, values[1]);
        Assert.Equal("FMS/3,5,3,888", ((AmfObject)values[2]!).GetString("fmsVer"));
        var info = (AmfObject)values[3]!;
        Assert.Equal((NetStatus.LevelStatus, NetStatus.ConnectSuccess), (info.GetString("level"), info.GetString("code")));
        Assert.Equal(["connected"], harness.Events);
        Assert.Equal(("live", "FMLE/3.0 (compatible; Lavf59.27.100)", "rtmp://127.0.0.1:44949/live"), (harness.Session.App, harness.Session.FlashVer, harness.Session.TcUrl));
        Assert.Equal(4096, harness.Session.OutChunkSize);
    }

    [Fact]
    public void Handle_FfmpegPublishCapture_AnswersEachCommandThenReportsMedia()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        harness.FeedCapture("ffmpeg-publish-chunks.bin");

        PublishRequest request = Assert.Single(harness.Publishes);
        Assert.Equal(new PublishRequest("live", "test", 1), request);
        Assert.Equal(RtmpSessionRole.Publisher, harness.Session.Role);

        var replies = harness.Replies();
        Assert.Equal(9, replies.Count);

        // releaseStream (2), FCPublish (3): _result, null, undefined; createStream (4): stream id 1.
        Assert.Equal(["_result", 2.0, null, AmfUndefined.Value], Amf0.ReadAll(replies[4].Payload));
        Assert.Equal(["_result", 3.0, null, AmfUndefined.Value], Amf0.ReadAll(replies[5].Payload));
        Assert.Equal(["_result", 4.0, null, 1.0], Amf0.ReadAll(replies[6].Payload));

        // publish: Stream Begin 1, then onStatus NetStream.Publish.Start on chunk stream 5, message stream 1.
        int streamBegin = harness.Output.Length - replies[8].Payload.Length - 12 - 12 - 6;
        Assert.Equal(Compact(StreamBegin1Chunk), Convert.ToHexStringLower(harness.Output.AsSpan(streamBegin, 18)));
        AssertStatus(replies[8], 1, NetStatus.LevelStatus, NetStatus.PublishStart, "test is now published.");

        // Everything after publish in the listing: one @setDataFrame onMetaData, then audio and video.
        Assert.Equal(320.0, Assert.Single(harness.Metadata).GetNumber("width"));
        Assert.Equal(24, harness.Media.Count);
        Assert.Equal((RtmpMessageType.Video, 0u, 51), harness.Media[0]);
        Assert.Equal((RtmpMessageType.Audio, 0u, 7), harness.Media[1]);
        Assert.Equal((RtmpMessageType.Video, 300u, 905), harness.Media[^1]);
    }

    [Fact]
    public void Handle_FfmpegPlayCapture_AnswersGetStreamLengthAndPlayAsPlayersExpect()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        harness.FeedCapture("ffmpeg-play-chunks.bin");

        Assert.Equal(new PlayRequest("live", "test", 1), Assert.Single(harness.Plays));
        Assert.Equal((RtmpSessionRole.Player, 1u), (harness.Session.Role, harness.Session.PlayStreamId));

        var replies = harness.Replies();
        Assert.Equal(11, replies.Count);
        Assert.Equal(["_result", 2.0, null, 1.0], Amf0.ReadAll(replies[4].Payload));

        // getStreamLength: a live stream's length is 0 (FFmpeg's player waits for this answer).
        Assert.Equal(["_result", 3.0, null, 0.0], Amf0.ReadAll(replies[5].Payload));
        Assert.Equal("000400000001", UserControlPayload(replies[6]));
        Assert.Equal("000000000001", UserControlPayload(replies[7]));
        AssertStatus(replies[8], 1, NetStatus.LevelStatus, NetStatus.PlayReset, "Playing and resetting test.");
        AssertStatus(replies[9], 1, NetStatus.LevelStatus, NetStatus.PlayStart, "Started playing test.");
        Assert.Equal((5, RtmpMessageType.DataAmf0, 1u), (replies[10].Message.ChunkStreamId, replies[10].Message.Type, replies[10].Message.StreamId));
        Assert.Equal(["|RtmpSampleAccess", true, true], Amf0.ReadAll(replies[10].Payload));
    }

    [Fact]
    public void WritePlayEnded_AfterPlay_WritesStreamEofUnpublishNotifyAndStop()
    {
        using var harness = new SessionHarness { AcceptAs = "test" };
        harness.FeedCapture("ffmpeg-play-chunks.bin");
        harness.ClearOutput();

        var output = new System.Buffers.ArrayBufferWriter<byte>();
        harness.Session.WritePlayEnded(output);

        // §7.1.7 Stream EOF (event 1) for message stream 1, then the two statuses FFmpeg ends on.
        Assert.Equal(Compact("02 000000 000006 04 00000000 0001 00000001"), Convert.ToHexStringLower(output.WrittenSpan[..18]));
        using var reader = new Chunks.ChunkReader();
        var replies = new ChunkFeeder(reader).Feed(output.WrittenSpan);
        Assert.Equal(3, replies.Count);
        AssertStatus(replies[1], 1, NetStatus.LevelStatus, NetStatus.PlayUnpublishNotify, "The stream was unpublished.");
        AssertStatus(replies[2], 1, NetStatus.LevelStatus, NetStatus.PlayStop, "Stopped playing.");
        Assert.Empty(harness.Output);
    }

    internal static void AssertStatus((RtmpMessage Message, byte[] Payload) reply, uint streamId, string level, string code, string description)
    {
        Assert.Equal((5, RtmpMessageType.CommandAmf0, streamId), (reply.Message.ChunkStreamId, reply.Message.Type, reply.Message.StreamId));
        List<object?> values = Amf0.ReadAll(reply.Payload);
        Assert.Equal(("onStatus", 0.0, null), (values[0], values[1], values[2]));
        var info = (AmfObject)values[3]!;
        Assert.Equal((level, code, description), (info.GetString("level"), info.GetString("code"), info.GetString("description")));
    }

    internal static string Compact(string hex) => string.Concat(hex.Where(c => !char.IsWhiteSpace(c)));

    /// <summary>§7.1.7: a user control reply on chunk stream 2, message stream 0: event type (2 bytes), stream id (4).</summary>
    private static string UserControlPayload((RtmpMessage Message, byte[] Payload) reply)
    {
        Assert.Equal((2, RtmpMessageType.UserControl, 0u), (reply.Message.ChunkStreamId, reply.Message.Type, reply.Message.StreamId));
        return Convert.ToHexStringLower(reply.Payload);
    }
}
