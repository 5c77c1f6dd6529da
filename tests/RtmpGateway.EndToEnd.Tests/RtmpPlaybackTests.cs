using RtmpGateway.EndToEnd.Tests.Infrastructure;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests;

/// <summary>RTMP viewers: where a new one starts, and what happens to one that cannot keep up.</summary>
[Trait("Category", "E2E")]
public sealed class RtmpPlaybackTests : IAsyncLifetime
{
    private GatewayInstance _gateway = null!;

    // A 64 KiB GOP cache (32 MiB by default): the GOPs of the first test fit, the last test's do not.
    public async Task InitializeAsync() => _gateway = await GatewayInstance.StartAsync("--Rtmp:MaxViewerBacklogBytes", "262144", "--Rtmp:MaxGopCacheBytes", "65536");

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<RawRtmpClient> StartPublisherAsync(string name)
    {
        RawRtmpClient publisher = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Publish.Start", await publisher.PublishAsync(name));
        await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, 0, SyntheticPublish.AvcSequenceHeader());
        await publisher.SendMessageAsync(4, RtmpMessageType.Audio, publisher.StreamId, 0, SyntheticPublish.AacSequenceHeader());
        return publisher;
    }

    [Fact]
    public async Task Play_NewViewer_GetsSequenceHeadersThenStartsOnLatestKeyframe()
    {
        await using RawRtmpClient publisher = await StartPublisherAsync("gop");
        uint t = 0;
        for (int gop = 0; gop < 2; gop++)
        {
            await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, t += 33, SyntheticPublish.VideoTag(true, 100, (byte)(gop + 1)));
            for (int i = 0; i < 3; i++)
            {
                await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, t += 33, SyntheticPublish.VideoTag(false, 50, (byte)(gop + 1)));
                await publisher.SendMessageAsync(4, RtmpMessageType.Audio, publisher.StreamId, t, [0xAF, 0x01, 0x21, (byte)i]);
            }
        }

        var stream = await _gateway.WaitForStreamAsync("live", "gop", TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(() => stream.VideoFrames >= 8, TimeSpan.FromSeconds(5), () => $"{stream.VideoFrames} of 8 video frames");

        await using RawRtmpClient viewer = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Play.Reset", await viewer.PlayAsync("gop"));
        List<RtmpMessage> media = await viewer.ReadMediaAsync(9);

        // Sequence headers first, then the second GOP's keyframe and what followed it, in order.
        Assert.Equal(RtmpMessageType.Video, media[0].Type);
        Assert.Equal([0x17, 0x00], media[0].Payload.Span[..2].ToArray());
        Assert.Equal([0xAF, 0x00], media[1].Payload.Span[..2].ToArray());
        Assert.Equal([0x17, 0x01], media[2].Payload.Span[..2].ToArray());
        Assert.Equal(2, media[2].Payload.Span[9]); // second GOP's fill byte: the latest keyframe
        Assert.Equal(33u * 5, media[2].Timestamp);
        Assert.Equal(
            [RtmpMessageType.Video, RtmpMessageType.Audio, RtmpMessageType.Video, RtmpMessageType.Audio, RtmpMessageType.Video, RtmpMessageType.Audio],
            media.Skip(3).Take(6).Select(m => m.Type));
    }

    [Fact]
    public async Task Play_ViewersOnDifferentMessageStreams_EachGetsTheMediaOnItsOwnStreamId()
    {
        // A relayed message is chunked once and the bytes shared by viewers; the message stream id
        // is in those bytes, so a viewer that played on another stream id must get its own.
        await using RawRtmpClient publisher = await StartPublisherAsync("ids");
        await using RawRtmpClient first = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Play.Reset", await first.PlayAsync("ids"));
        await using RawRtmpClient second = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        await second.SendCommandAsync(0, "createStream", 7, null);
        await second.WaitForCommandAsync("_result");
        Assert.Equal("NetStream.Play.Reset", await second.PlayAsync("ids"));
        Assert.Equal(1u, first.StreamId);
        Assert.Equal(2u, second.StreamId);

        await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, 40, SyntheticPublish.VideoTag(true, 9000, 7));
        await publisher.SendMessageAsync(4, RtmpMessageType.Audio, publisher.StreamId, 41, [0xAF, 0x01, 0x21, 0x42]);

        foreach (RawRtmpClient viewer in (RawRtmpClient[])[first, second])
        {
            List<RtmpMessage> media = await viewer.ReadMediaAsync(4);
            Assert.Equal(4, media.Count);
            Assert.All(media, m => Assert.Equal(viewer.StreamId, m.StreamId));
            Assert.Equal(SyntheticPublish.VideoTag(true, 9000, 7), media[2].Payload.ToArray());
            Assert.Equal(40u, media[2].Timestamp);
            Assert.Equal([0xAF, 0x01, 0x21, 0x42], media[3].Payload.ToArray());
        }
    }

    [Fact]
    public async Task Play_ViewerThatDoesNotRead_IsDroppedAndPublisherLosesNothing()
    {
        await using RawRtmpClient publisher = await StartPublisherAsync("fast");
        await using RawRtmpClient slow = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint, receiveBufferSize: 4096);
        Assert.Equal("NetStream.Play.Reset", await slow.PlayAsync("fast"));

        // 40 MB of video against a 256 KiB viewer backlog and a reader that never reads.
        const int frames = 400;
        for (int i = 0; i < frames; i++)
        {
            await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, (uint)(i * 33), SyntheticPublish.VideoTag(i % 30 == 0, 100_000, (byte)i));
        }

        await _gateway.Logs.WaitForLineAsync(l => l.Contains("dropped: backlog", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var stream = await _gateway.WaitForStreamAsync("live", "fast", TimeSpan.FromSeconds(1));
        await Poll.UntilAsync(() => stream.VideoFrames >= frames, TimeSpan.FromSeconds(10), () => $"{stream.VideoFrames} of {frames} frames; log:\n{string.Join('\n', _gateway.Logs.Lines)}");
        Assert.Equal(frames, stream.VideoFrames);
        Assert.Equal(0, stream.CountReaders("rtmp"));
        Assert.True(await slow.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Play_GopLargerThanMaxGopCacheBytes_NotCached_NewViewerStartsOnTheNextKeyframe()
    {
        await using RawRtmpClient publisher = await StartPublisherAsync("biggop");

        // 40 KB keyframe + 40 KB frame: 80 KB, past the 64 KiB cache.
        await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, 33, SyntheticPublish.VideoTag(true, 40_000, 1));
        await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, 66, SyntheticPublish.VideoTag(false, 40_000, 1));
        var stream = await _gateway.WaitForStreamAsync("live", "biggop", TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(() => stream.VideoFrames >= 2, TimeSpan.FromSeconds(5), () => $"{stream.VideoFrames} of 2 video frames");
        Assert.Equal(2, stream.VideoFrames);

        await using RawRtmpClient viewer = await RawRtmpClient.ConnectAsync(_gateway.RtmpEndPoint);
        Assert.Equal("NetStream.Play.Reset", await viewer.PlayAsync("biggop"));
        await publisher.SendMessageAsync(6, RtmpMessageType.Video, publisher.StreamId, 99, SyntheticPublish.VideoTag(true, 100, 2));
        List<RtmpMessage> media = await viewer.ReadMediaAsync(3);

        // Sequence headers, then the new keyframe: nothing of the GOP that outgrew the cache.
        Assert.Equal([0x17, 0x00], media[0].Payload.Span[..2].ToArray());
        Assert.Equal([0xAF, 0x00], media[1].Payload.Span[..2].ToArray());
        Assert.Equal([0x17, 0x01], media[2].Payload.Span[..2].ToArray());
        Assert.Equal(2, media[2].Payload.Span[9]);
        Assert.Equal(99u, media[2].Timestamp);
    }
}
