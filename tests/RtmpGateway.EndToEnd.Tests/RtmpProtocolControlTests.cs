using System.Buffers.Binary;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Amf;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>Protocol control duties of the server, observed on the wire.</summary>
[Trait("Category", "E2E")]
public sealed class RtmpProtocolControlTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync();

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task WindowAcknowledgementSize_PeerSetsWindow_ServerAcknowledgesBytesReceived()
    {
        await using RawRtmpClient client = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        await client.SendMessageAsync(2, RtmpMessageType.WindowAcknowledgementSize, 0, 0, ProtocolControl.WindowAcknowledgementSize(4096));
        for (int i = 0; i < 10; i++)
        {
            // Data messages the server reads and ignores: only their bytes matter here.
            await client.SendMessageAsync(5, RtmpMessageType.DataAmf0, 1, 0, CommandWriter.Data("onTextData", new string('x', 1000)));
        }

        RtmpMessage ack = await client.WaitForMessageAsync(m => m.Type == RtmpMessageType.Acknowledgement);
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(ack.Payload.Span);
        Assert.InRange(sequence, 4096u, 20000u);
        Assert.Equal(0u, ack.StreamId);
        Assert.Equal(2, ack.ChunkStreamId);
    }

    [Fact]
    public async Task UserControl_PingRequest_IsAnsweredWithPingResponse()
    {
        await using RawRtmpClient client = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        await client.SendMessageAsync(2, RtmpMessageType.UserControl, 0, 0, ProtocolControl.UserControl(UserControlEventType.PingRequest, 123456));

        RtmpMessage pong = await client.WaitForMessageAsync(m => m.Type == RtmpMessageType.UserControl);
        UserControlEvent ev = ProtocolControl.ReadUserControl(pong.Payload.Span);
        Assert.Equal(UserControlEventType.PingResponse, ev.Type);
        Assert.Equal(123456u, ev.Value);
    }

    [Fact]
    public async Task Connect_AsAmf3CommandMessage_IsAnswered()
    {
        // Type 17: a format byte 0x00 then AMF0 values, as Flash clients with objectEncoding 3 send.
        await using RawRtmpClient client = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
        byte[] body = CommandWriter.Command("connect", 1, new AmfObject { { "app", "live" }, { "objectEncoding", 3.0 } });
        await client.SendMessageAsync(3, RtmpMessageType.CommandAmf3, 0, 0, [0x00, .. body]);

        CommandMessage result = await client.WaitForCommandAsync("_result");
        var info = (AmfObject)result.Arguments[0]!;
        Assert.Equal(NetStatus.ConnectSuccess, info.GetString("code"));
        Assert.Equal(3.0, info.GetNumber("objectEncoding"));
    }

    [Fact]
    public async Task Connect_ServerAnnouncesWindowBandwidthAndChunkSize()
    {
        await using RawRtmpClient client = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
        await client.SendCommandAsync(0, "connect", 1, new AmfObject { { "app", "live" } });

        RtmpMessage window = await client.WaitForMessageAsync(m => m.Type == RtmpMessageType.WindowAcknowledgementSize);
        Assert.Equal(2_500_000u, ProtocolControl.ReadUInt32(window.Payload.Span, window.Type));
        RtmpMessage bandwidth = await client.WaitForMessageAsync(m => m.Type == RtmpMessageType.SetPeerBandwidth);
        Assert.Equal([0x00, 0x26, 0x25, 0xA0, 0x02], bandwidth.Payload.ToArray());
        RtmpMessage chunkSize = await client.WaitForMessageAsync(m => m.Type == RtmpMessageType.SetChunkSize);
        Assert.Equal(4096u, ProtocolControl.ReadUInt32(chunkSize.Payload.Span, chunkSize.Type));
    }
}
