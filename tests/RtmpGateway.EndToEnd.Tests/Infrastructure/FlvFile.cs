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

    /// <summary>
    /// Writes tags as an FLV file (FLV spec E.2/E.3: header, PreviousTagSize0, then per tag TagType,
    /// DataSize UI24, Timestamp UI24 + TimestampExtended UI8, StreamID 0, the body, PreviousTagSize UI32).
    /// </summary>
    public static void Write(string path, IEnumerable<Tag> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        using var file = File.Create(path);
        file.Write([(byte)'F', (byte)'L', (byte)'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0]);
        foreach (Tag tag in tags)
        {
            int size = tag.Body.Length;
            uint ts = tag.Timestamp;
            file.Write([(byte)tag.Type, (byte)(size >> 16), (byte)(size >> 8), (byte)size, (byte)(ts >> 16), (byte)(ts >> 8), (byte)ts, (byte)(ts >> 24), 0, 0, 0]);
            file.Write(tag.Body);
            int previous = 11 + size;
            file.Write([(byte)(previous >> 24), (byte)(previous >> 16), (byte)(previous >> 8), (byte)previous]);
        }
    }
}
