using System.Globalization;
using System.Text.RegularExpressions;
using RtmpGateway.Rtmp.Chunks;

namespace RtmpGateway.Rtmp.Tests;

/// <summary>
/// The chunk reader against what FFmpeg 5.1 really sent: Data/ffmpeg-*-chunks.bin are the client's
/// bytes after the handshake, and Data/ffmpeg-*-messages.txt list the messages in them as an
/// independent Python reader of the capture saw them (Data/capture/README.md).
/// </summary>
public partial class ChunkCaptureTests
{
    private sealed record Expected(int Csid, int Type, uint StreamId, uint Timestamp, int Length, string HexPrefix);

    private static List<Expected> ReadExpected(string name)
    {
        var list = new List<Expected>();
        foreach (string line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Data", name)))
        {
            Match m = MessageLine().Match(line);
            if (m.Success)
            {
                string hex = m.Groups[7].Value.TrimEnd('.');
                list.Add(new Expected(
                    int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
                    int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                    uint.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                    uint.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture),
                    int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture),
                    hex));
            }
        }

        return list;
    }

    [Theory]
    [InlineData("ffmpeg-publish-chunks.bin", "ffmpeg-publish-messages.txt")]
    [InlineData("ffmpeg-play-chunks.bin", "ffmpeg-play-messages.txt")]
    public void TryReadMessage_FfmpegCapture_GivesTheMessagesFfmpegSent(string capture, string listing)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", capture));
        List<Expected> expected = ReadExpected(listing);
        Assert.NotEmpty(expected);

        // Whole, and cut into 1000-byte reads as a socket would deliver it.
        foreach (int piece in (int[])[bytes.Length, 1000, 7])
        {
            using var reader = new ChunkReader();
            var feeder = new ChunkFeeder(reader);
            var messages = new List<(Messages.RtmpMessage Message, byte[] Payload)>();
            for (int offset = 0; offset < bytes.Length; offset += piece)
            {
                messages.AddRange(feeder.Feed(bytes.AsSpan(offset, Math.Min(piece, bytes.Length - offset))));
            }

            Assert.True(messages.Count >= expected.Count, $"{messages.Count} messages read, {expected.Count} listed");
            for (int i = 0; i < expected.Count; i++)
            {
                Expected e = expected[i];
                var (m, payload) = messages[i];
                Assert.Equal((e.Csid, e.Type, e.StreamId, e.Timestamp, e.Length), (m.ChunkStreamId, (int)m.Type, m.StreamId, m.Timestamp, payload.Length));
                Assert.StartsWith(e.HexPrefix, Convert.ToHexStringLower(payload), StringComparison.Ordinal);
            }
        }
    }

    [GeneratedRegex(@"^csid=(\d+) type=(\d+) sid=(\d+) ts=(\d+) len=(\d+) ext=(\w+) name=\S+ ([0-9a-f.]*)")]
    private static partial Regex MessageLine();
}
