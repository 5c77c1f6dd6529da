using System.Buffers.Binary;
using RtmpGateway.Rtmp.Messages;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>The tags of an FLV file ffmpeg wrote (FLV spec E.2/E.4: header, then tag + previous tag size).</summary>
public static class FlvFile
{
    public sealed record Tag(RtmpMessageType Type, uint Timestamp, byte[] Body)
    {
        public bool IsVideoSequenceHeader => Type == RtmpMessageType.Video && Body.Length > 1 && Body[1] == 0;

        public bool IsAudioSequenceHeader => Type == RtmpMessageType.Audio && Body.Length > 1 && Body[1] == 0;
    }

    public static List<Tag> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        int pos = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(5)) + 4; // header size, then PreviousTagSize0
        var tags = new List<Tag>();
        while (pos + 11 <= file.Length)
        {
            int size = (file[pos + 1] << 16) | (file[pos + 2] << 8) | file[pos + 3];
            uint ts = (uint)((file[pos + 4] << 16) | (file[pos + 5] << 8) | file[pos + 6] | (file[pos + 7] << 24));
            tags.Add(new Tag((RtmpMessageType)file[pos], ts, file[(pos + 11)..(pos + 11 + size)]));
            pos += 11 + size + 4;
        }

        return tags;
    }
}
