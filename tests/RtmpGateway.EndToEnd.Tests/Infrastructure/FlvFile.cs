using RtmpGateway.Media;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>The tags of an FLV file ffmpeg wrote, as RTMP message types and payloads.</summary>
public static class FlvFile
{
    public sealed record Tag(RtmpMessageType Type, uint Timestamp, byte[] Body)
    {
        public bool IsVideoSequenceHeader => Type == RtmpMessageType.Video && Body.Length > 1 && Body[1] == 0;

        public bool IsAudioSequenceHeader => Type == RtmpMessageType.Audio && Body.Length > 1 && Body[1] == 0;
    }

    public static List<Tag> Read(string path)
        => [.. FlvFileReader.ReadTags(File.ReadAllBytes(path)).Select(t => new Tag((RtmpMessageType)(byte)t.Type, t.Timestamp, t.Body.ToArray()))];
}
