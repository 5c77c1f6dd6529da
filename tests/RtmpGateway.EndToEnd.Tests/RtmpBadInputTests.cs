using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Hub;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// Each kind of bad input closes the offending connection with a log line naming the reason, while a
/// stream already being published keeps receiving every frame and new clients can still connect.
/// </summary>
[Trait("Category", "E2E")]
public sealed class RtmpBadInputTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;
    private RawRtmpClient _healthy = null!;
    private HubStream _healthyStream = null!;
    private uint _healthyTime;

    public async Task InitializeAsync()
    {
        // Chunk streams and AMF depth below their defaults (64, 32), so the cases show the keys are applied.
        _gateway = await GatewayInstance.StartAsync(
            "--Rtmp:HandshakeTimeout", "00:00:02", "--Rtmp:MaxMessageSize", "65536", "--Rtmp:MaxChunkStreams", "8", "--Rtmp:MaxAmfDepth", "8",
            // The healthy publisher sends only when a case asks it to: it must not count as stale and be taken over.
            "--Rtmp:StalePublisherTakeover", "00:00:00");
        _healthy = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Publish.Start", await _healthy.PublishAsync("healthy"));
        _healthyStream = await _gateway.WaitForStreamAsync("live", "healthy", TimeSpan.FromSeconds(5));

        // AAC sequence header: AudioSpecificConfig 0x12 0x10 = AAC LC, 44100 Hz, stereo.
        await _healthy.SendMessageAsync(4, RtmpMessageType.Audio, _healthy.StreamId, 0, SyntheticPublish.AacSequenceHeader());
        await SendHealthyFramesAsync(5);
    }

    public async Task DisposeAsync()
    {
        await _healthy.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    private async Task SendHealthyFramesAsync(int count)
    {
        long before = _healthyStream.AudioFrames;
        for (int i = 0; i < count; i++)
        {
            _healthyTime += 23;
            await _healthy.SendMessageAsync(4, RtmpMessageType.Audio, _healthy.StreamId, _healthyTime, [0xAF, 0x01, 0x21, 0x10, 0x05, (byte)i]);
        }

        await Poll.UntilAsync(() => _healthyStream.AudioFrames >= before + count, TimeSpan.FromSeconds(5), () => $"the healthy stream has {_healthyStream.AudioFrames - before} of {count} new audio frames");

        Assert.Equal(before + count, _healthyStream.AudioFrames);
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "chunk size 0", "ChunkSizeInvalid" },
        { "chunk size 1", "ChunkSizeInvalid" },
        { "chunk size 127", "ChunkSizeInvalid" },
        { "chunk size with the top bit set", "ChunkSizeInvalid" },
        { "message longer than the maximum", "MessageTooLarge" },
        { "type-1 chunk on a chunk stream never opened", "ChunkStreamNotOpened" },
        { "type-3 chunk on a chunk stream never opened", "ChunkStreamNotOpened" },
        { "AMF nested past the depth limit", "AmfDepthExceeded" },
        { "AMF nested past the configured depth", "AmfDepthExceeded" },
        { "more chunk streams than configured", "TooManyChunkStreams" },
        { "AMF string longer than the message", "AmfLengthExceedsMessage" },
        { "AMF strict array count larger than the message", "AmfLengthExceedsMessage" },
        { "handshake with a wrong version byte", "HandshakeVersion" },
        { "handshake that stalls", "HandshakeTimeout" },
        { "publish before connect", "CommandOutOfOrder" },
        { "play before createStream", "CommandOutOfOrder" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInput_ClosesOnlyThatConnection_WithLoggedReason(string badInput, string reason)
    {
        await using RawRtmpClient bad = await SendBadInputAsync(badInput);

        Assert.True(await bad.WaitForCloseAsync(TimeSpan.FromSeconds(10)), $"the server kept the connection open after: {badInput}");
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("closed: protocol error " + reason, StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        // The live stream lost nothing and keeps going; new clients are served.
        await SendHealthyFramesAsync(5);
        Assert.Same(_healthyStream, _gateway.Hub.Find("live", "healthy"));
        await using RawRtmpClient fresh = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
    }

    [Fact]
    public async Task Connect_SentInTheSameSegmentAsC2_IsAnswered()
    {
        // Clients that pipeline C2 and connect leave the command in the handshake's last read.
        await using RawRtmpClient client = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint, afterC2: RawRtmpClient.ConnectCommandBytes("live"));
        var result = await client.WaitForCommandAsync("_result");
        Assert.Equal("NetConnection.Connect.Success", ((RtmpGateway.Rtmp.Amf.AmfObject)result.Arguments[0]!).GetString("code"));
    }

    [Fact]
    public async Task Publish_NameAlreadyLive_RefusedWithBadNameAndLiveStreamKeepsRunning()
    {
        await using RawRtmpClient second = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Publish.BadName", await second.PublishAsync("healthy"));
        Assert.True(await second.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("refused publish of live/healthy: already being published", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        await SendHealthyFramesAsync(5);
        Assert.Same(_healthyStream, _gateway.Hub.Find("live", "healthy"));
    }

    private async Task<RawRtmpClient> SendBadInputAsync(string badInput)
    {
        switch (badInput)
        {
            case "handshake with a wrong version byte":
            {
                RawRtmpClient c = await RawRtmpClient.ConnectTcpAsync(_gateway.RtmpEndPoint);
                await c.SendRawAsync(new byte[1537].Select((b, i) => i == 0 ? (byte)6 : b).ToArray());
                return c;
            }

            case "handshake that stalls":
            {
                RawRtmpClient c = await RawRtmpClient.ConnectTcpAsync(_gateway.RtmpEndPoint);
                await c.SendRawAsync(new byte[100].Select((b, i) => i == 0 ? (byte)3 : b).ToArray());
                return c;
            }

            case "type-1 chunk on a chunk stream never opened":
            {
                RawRtmpClient c = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
                await c.SendRawAsync(Convert.FromHexString("47000000000004140000000000"));
                return c;
            }

            case "type-3 chunk on a chunk stream never opened":
            {
                RawRtmpClient c = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
                await c.SendRawAsync(Convert.FromHexString("C90102030405"));
                return c;
            }

            case "message longer than the maximum":
            {
                RawRtmpClient c = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);

                // Type-0 header declaring 0x020000 (131072) bytes against a 65536-byte limit.
                await c.SendRawAsync(Convert.FromHexString("060000000200000901000000"));
                return c;
            }

            case "more chunk streams than configured":
            {
                // connect opened chunk stream 3; ten more data messages open 10..19: 11 against 8.
                RawRtmpClient c = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
                for (int csid = 10; csid < 20; csid++)
                {
                    await c.SendMessageAsync(csid, RtmpMessageType.DataAmf0, 0, 0, RtmpGateway.Rtmp.Commands.CommandWriter.Data("onTextData", "x"));
                }

                return c;
            }

            case "publish before connect":
            {
                RawRtmpClient c = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
                await c.SendCommandAsync(1, "publish", 0, null, "sneaky", "live");
                return c;
            }

            case "play before createStream":
            {
                RawRtmpClient c = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
                await c.SendCommandAsync(1, "play", 0, null, "healthy");
                return c;
            }

            default:
            {
                RawRtmpClient c = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
                (RtmpMessageType type, byte[] body) = badInput switch
                {
                    "chunk size 0" => (RtmpMessageType.SetChunkSize, new byte[] { 0, 0, 0, 0 }),
                    "chunk size 1" => (RtmpMessageType.SetChunkSize, [0, 0, 0, 1]),
                    "chunk size 127" => (RtmpMessageType.SetChunkSize, [0, 0, 0, 127]),
                    "chunk size with the top bit set" => (RtmpMessageType.SetChunkSize, [0x80, 0, 0x10, 0]),
                    "AMF nested past the depth limit" => (RtmpMessageType.CommandAmf0, NestedObjects(200)),
                    "AMF nested past the configured depth" => (RtmpMessageType.CommandAmf0, NestedObjects(12)),
                    "AMF string longer than the message" => (RtmpMessageType.CommandAmf0, Convert.FromHexString("02FFFF6162")),
                    "AMF strict array count larger than the message" => (RtmpMessageType.CommandAmf0, Convert.FromHexString("020004706C6179004000000000000000050AFFFFFFF000")),
                    _ => throw new ArgumentOutOfRangeException(nameof(badInput), badInput),
                };
                await c.SendMessageAsync(type == RtmpMessageType.SetChunkSize ? 2 : 3, type, 0, 0, body);
                return c;
            }
        }
    }

    /// <summary>AMF0 "connect", 1, then objects nested n deep: {a: {a: {a: ...}}} (object marker 0x03, key "a").</summary>
    private static byte[] NestedObjects(int depth)
    {
        var bytes = new List<byte>(Convert.FromHexString("020007636F6E6E656374003FF0000000000000"));
        for (int i = 0; i < depth; i++)
        {
            bytes.AddRange([0x03, 0x00, 0x01, (byte)'a']);
        }

        bytes.Add(0x05); // null innermost value
        for (int i = 0; i < depth; i++)
        {
            bytes.AddRange([0x00, 0x00, 0x09]);
        }

        return [.. bytes];
    }
}
