using System.Text.Json;
using System.Text.Json.Serialization;
using RtmpGateway.Media;
using RtmpGateway.Hub;

namespace RtmpGateway.Server.Hosting;

/// <summary>One live stream as /api/streams shows it: public names and figures only, never a key.</summary>
public sealed record StreamInfo(
    string App,
    string Name,
    DateTimeOffset StartedAt,
    TrackInfo? Video,
    TrackInfo? Audio,
    long VideoFrames,
    long AudioFrames,
    long BytesReceived,
    int RtmpViewers)
{
    public static StreamInfo From(HubStream s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new StreamInfo(s.App, s.Name, s.Publisher?.StartedAt ?? s.CreatedAt, TrackInfo.From(s.Video), TrackInfo.From(s.Audio), s.VideoFrames, s.AudioFrames, s.BytesReceived, s.CountReaders("rtmp"));
    }
}

public sealed record TrackInfo(string Codec, string CodecString, int Width, int Height, double? FrameRate, int SampleRate, int Channels)
{
    public static TrackInfo? From(CodecConfig? c) => c is null ? null
        : new TrackInfo(c.Codec.ToString(), c.CodecString, c.Width, c.Height, c.FrameRate, c.SampleRate, c.Channels);
}

[JsonSerializable(typeof(StreamInfo[]))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
internal sealed partial class StreamInfoJsonContext : JsonSerializerContext;
