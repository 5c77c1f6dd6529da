using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Commands;
using RtmpGateway.Rtmp.Messages;
using RtmpGateway.Server.Rtmp;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// The RTMP side's configured limits against real ffmpeg publishers: connections in total and per
/// address refused at accept and counted again once closed, live streams, the idle deadline.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class RtmpLimitsTests : IAsyncLifetime
{
    // Loopback answers on all of 127.0.0.0/8: a second source address without a second host.
    private static readonly IPAddress OtherAddress = IPAddress.Parse("127.0.0.2");

    private GatewayInstance? _gateway;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }

    private RtmpListenerService Listener => _gateway!.Services.GetRequiredService<RtmpListenerService>();

    /// <summary>A 1 s ffmpeg publish (320x240, cheap to encode); its exit code says whether the gateway took it.</summary>
    private async Task<ToolProcess> FfmpegPublishAsync(string name)
        => await ToolProcess.RunAsync(TimeSpan.FromSeconds(60), "ffmpeg", Ffmpeg.PublishTestSource(_gateway!.RtmpUrl("live", name), null, seconds: 1, width: 320, height: 240));

    private Task WaitForCountedAsync(int count)
        => Poll.UntilAsync(() => Listener.CountedConnections == count, TimeSpan.FromSeconds(10), () => $"{Listener.CountedConnections} connections counted, not {count}");

    /// <summary>True when the gateway closes a connection from that address before reading from it (a reset may even beat the connect's completion).</summary>
    private async Task<bool> ClosedAtOnceAsync(IPAddress localAddress)
    {
        try
        {
            await using RawRtmpClient client = await RawRtmpClient.ConnectTcpAsync(_gateway!.RtmpEndPoint, localAddress: localAddress);
            return await client.WaitForCloseAsync(TimeSpan.FromSeconds(5));
        }
        catch (System.Net.Sockets.SocketException)
        {
            return true;
        }
    }

    [Fact]
    public async Task MaxConnectionsPerIp_OneMoreFromThatAddress_RefusedAtAccept_OtherAddressServed_CountReleasedOnClose()
    {
        _gateway = await GatewayInstance.StartAsync("--Rtmp:MaxConnectionsPerIp", "2");
        await using RawRtmpClient first = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
        await using RawRtmpClient second = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);

        await using (ToolProcess refused = await FfmpegPublishAsync("perip"))
        {
            Assert.True(refused.ExitCode != 0, "ffmpeg published past Rtmp:MaxConnectionsPerIp");
        }

        await _gateway.Logs.WaitForLineAsync(l => l.Contains("refused: 2 connections open from this address, the limit (Rtmp:MaxConnectionsPerIp) is 2", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.Null(_gateway.Hub.Find("live", "perip"));
        Assert.True(await ClosedAtOnceAsync(IPAddress.Loopback), "a connection past Rtmp:MaxConnectionsPerIp was kept open");

        // The limit is per address: another one is served.
        await using RawRtmpClient other = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint, localAddress: OtherAddress);

        // Closing one frees its slot: ffmpeg gets in.
        await first.DisposeAsync();
        await WaitForCountedAsync(2);
        await using ToolProcess admitted = await FfmpegPublishAsync("perip");
        Assert.True(admitted.ExitCode == 0, admitted.StdErr);
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("unpublished live/perip", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task MaxConnections_OneMore_RefusedAtAcceptWithLoggedReason_CountReleasedOnClose()
    {
        _gateway = await GatewayInstance.StartAsync("--Rtmp:MaxConnections", "2");
        await using RawRtmpClient first = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint);
        await using RawRtmpClient second = await RawRtmpClient.HandshakeAsync(_gateway.RtmpEndPoint, localAddress: OtherAddress);

        await using (ToolProcess refused = await FfmpegPublishAsync("total"))
        {
            Assert.True(refused.ExitCode != 0, "ffmpeg published past Rtmp:MaxConnections");
        }

        Assert.True(await ClosedAtOnceAsync(IPAddress.Parse("127.0.0.3")), "a connection past Rtmp:MaxConnections was kept open");
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("refused: 2 connections open, the limit (Rtmp:MaxConnections) is 2", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        await first.DisposeAsync();
        await WaitForCountedAsync(1);
        await using ToolProcess admitted = await FfmpegPublishAsync("total");
        Assert.True(admitted.ExitCode == 0, admitted.StdErr);
    }

    [Fact]
    public async Task MaxLiveStreams_OneMorePublish_RefusedWithPublishFailedAndLoggedReason_SlotFreedOnUnpublish()
    {
        _gateway = await GatewayInstance.StartAsync("--Rtmp:MaxLiveStreams", "2");
        await using RawRtmpClient one = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal(NetStatus.PublishStart, await one.PublishAsync("one"));
        await using RawRtmpClient two = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal(NetStatus.PublishStart, await two.PublishAsync("two"));

        await using (ToolProcess refused = await FfmpegPublishAsync("three"))
        {
            Assert.True(refused.ExitCode != 0, "ffmpeg published past Rtmp:MaxLiveStreams");
        }

        await _gateway.Logs.WaitForLineAsync(l => l.Contains("refused publish of live/three: 2 streams are live, the limit (Rtmp:MaxLiveStreams)", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        await using (RawRtmpClient raw = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint))
        {
            Assert.Equal(NetStatus.PublishFailed, await raw.PublishAsync("four"));
            Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        }

        Assert.Equal(2, _gateway.Hub.Streams.Count);

        // The publisher of "one" leaves: its slot is free again.
        await one.DisposeAsync();
        await Poll.UntilAsync(() => _gateway.Hub.Find("live", "one") is null, TimeSpan.FromSeconds(10), () => "live/one is still published");

        await using ToolProcess admitted = await FfmpegPublishAsync("three");
        Assert.True(admitted.ExitCode == 0, admitted.StdErr);
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("unpublished live/three", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task IdleTimeout_SilentConnection_ClosedWithLoggedReason_WhilePublisherAndViewerStay()
    {
        _gateway = await GatewayInstance.StartAsync("--Rtmp:IdleTimeout", "00:00:01");
        await using RawRtmpClient publisher = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal(NetStatus.PublishStart, await publisher.PublishAsync("busy"));
        await using RawRtmpClient viewer = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal(NetStatus.PlayReset, await viewer.PlayAsync("busy"));
        await using RawRtmpClient silent = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);

        // 3 s of audio at 10 messages a second: the publisher is never silent for the 1 s limit; the
        // viewer sends nothing, as viewers do.
        for (int i = 0; i < 30; i++)
        {
            await publisher.SendMessageAsync(4, RtmpMessageType.Audio, publisher.StreamId, (uint)(i * 100), SyntheticPublish.AudioTag((byte)i));
            await Task.Delay(100);
        }

        Assert.True(await silent.WaitForCloseAsync(TimeSpan.FromSeconds(1)), "a silent connection outlived Rtmp:IdleTimeout");
        await _gateway.Logs.WaitForLineAsync(l => l.Contains("closed: protocol error IdleTimeout: nothing received for 1 s", StringComparison.Ordinal), TimeSpan.FromSeconds(5));
        Assert.NotNull(_gateway.Hub.Find("live", "busy"));
        Assert.Equal(1, _gateway.Hub.Find("live", "busy")!.CountReaders("rtmp"));
        Assert.Equal(2, Listener.ConnectionCount); // the publisher and the viewer
    }
}
