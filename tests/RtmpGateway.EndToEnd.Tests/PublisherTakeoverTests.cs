using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>
/// An encoder whose network dropped comes back before the gateway notices its old connection is
/// dead: the new publish takes the name over from the silent one (Rtmp:StalePublisherTakeover),
/// while a publisher that is still sending keeps its name.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "E2E")]
public sealed class PublisherTakeoverTests
{
    [Fact]
    public async Task Publish_OverASilentPublisher_TakesOver_OverAnActiveOneIsRefused()
    {
        await using GatewayInstance gateway = await GatewayInstance.StartAsync("--Rtmp:StalePublisherTakeover", "00:00:02");
        await using RawRtmpClient old = await RawRtmpClient.ConnectAsync(gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Publish.Start", await old.PublishAsync("cam"));

        // AAC header, then frames every 100 ms for 3 s: longer than the takeover time, but never silent.
        await old.SendMessageAsync(4, RtmpMessageType.Audio, old.StreamId, 0, SyntheticPublish.AacSequenceHeader());
        for (uint t = 0; t < 3000; t += 100)
        {
            await old.SendMessageAsync(4, RtmpMessageType.Audio, old.StreamId, t, [0xAF, 0x01, 0x21, 0x10, 0x04]);
            await Task.Delay(100);
        }

        await using (RawRtmpClient rival = await RawRtmpClient.ConnectAsync(gateway.RtmpEndPoint))
        {
            Assert.Equal("NetStream.Publish.BadName", await rival.PublishAsync("cam"));
        }

        // Now the old publisher goes silent (its connection stays open, as a dead network leaves it).
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using ToolProcess ffmpeg = ToolProcess.Start("ffmpeg", Ffmpeg.PublishLowLatency(gateway.RtmpUrl("live", "cam"), seconds: 4, 320, 240));
        using var http = new HttpClient();
        string playlist = await gateway.GetWhenReadyAsync(http, "/live/cam/source/index.m3u8", TimeSpan.FromSeconds(30));

        Assert.Contains("#EXTINF", playlist, StringComparison.Ordinal);
        Assert.True(await old.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "the silent publisher's connection was not closed");
        Assert.Equal(0, await ffmpeg.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Single(gateway.Logs.Lines, l => l.Contains("takes over live/cam from silent publisher", StringComparison.Ordinal));
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("replaced by a new publisher of the same name", StringComparison.Ordinal));
    }
}
