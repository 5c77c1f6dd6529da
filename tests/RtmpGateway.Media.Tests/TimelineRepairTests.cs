namespace RtmpGateway.Media.Tests;

/// <summary>
/// Publisher clocks that jump (back, ahead, one track only, skewed from the start): the demuxer's
/// timeline goes on with the frames' own spacing, one report per jump, never a run of equal timestamps.
/// </summary>
public class TimelineRepairTests
{
    private static readonly byte[] AvcMain = Golden.Hex(Golden.AvcMain1080);
    private static readonly byte[] Nal = [0, 0, 0, 2, 0x65, 0x88];

    private static byte[] AvcTag(int frameType, int packetType, ReadOnlySpan<byte> data) => [(byte)((frameType << 4) | 7), (byte)packetType, 0, 0, 0, .. data];

    private static byte[] AacTag(int packetType, ReadOnlySpan<byte> data) => [0xAF, (byte)packetType, .. data];

    /// <summary>A unit as fed: its kind, its true time (ms from the start) and the timestamp the publisher put on it.</summary>
    private sealed record Fed(MediaKind Kind, double TrueMs, uint Stamp);

    /// <summary>
    /// Video at 30 fps and AAC at 44.1 kHz for <paramref name="seconds"/>, interleaved in time order; each
    /// unit stamped by <paramref name="stamp"/>(kind, true ms). Returns what was fed and what came out.
    /// </summary>
    private static (List<Fed> Fed, RecordingSink Sink) Run(double seconds, Func<MediaKind, double, long> stamp, Func<MediaKind, double, bool>? send = null)
    {
        var demuxer = new FlvDemuxer();
        var sink = new RecordingSink();
        var fed = new List<Fed>();
        demuxer.Demux(FlvTagType.Video, 0, AvcTag(1, 0, AvcMain), sink);
        demuxer.Demux(FlvTagType.Audio, 0, AacTag(0, Golden.Hex(Golden.AscLc44100Stereo)), sink);
        int v = 0;
        int a = 0;
        while (true)
        {
            double vt = v * 1000 / 30.0;
            double at = a * 1024 * 1000 / 44100.0;
            if (vt >= seconds * 1000 && at >= seconds * 1000)
            {
                break;
            }

            (MediaKind kind, double t) = vt <= at ? (MediaKind.Video, vt) : (MediaKind.Audio, at);
            if (kind == MediaKind.Video)
            {
                v++;
            }
            else
            {
                a++;
            }

            if (send is not null && !send(kind, t))
            {
                continue;
            }

            uint ms = (uint)stamp(kind, t);
            fed.Add(new Fed(kind, t, ms));
            if (kind == MediaKind.Video)
            {
                demuxer.Demux(FlvTagType.Video, ms, AvcTag((v - 1) % 30 == 0 ? 1 : 2, 1, Nal), sink);
            }
            else
            {
                demuxer.Demux(FlvTagType.Audio, ms, AacTag(1, [0x21, 0x10]), sink);
            }
        }

        return (fed, sink);
    }

    private static double Ms(AccessUnit u) => u.Dts * 1000.0 / u.Config.Timescale;

    /// <summary>Every track's timestamps go forward by about one frame each time (never a run of equal ones, never a leap).</summary>
    private static void AssertSteadyTimeline(RecordingSink sink)
    {
        foreach (MediaKind kind in (MediaKind[])[MediaKind.Video, MediaKind.Audio])
        {
            double[] ms = [.. sink.Units.Where(u => u.Kind == kind).Select(Ms)];
            for (int i = 1; i < ms.Length; i++)
            {
                double step = ms[i] - ms[i - 1];
                Assert.True(step is >= 20 and <= 40, $"{kind} step {step:F1} ms at unit {i} ({ms[i - 1]:F0} -> {ms[i]:F0})");
            }
        }
    }

    /// <summary>Output time minus true time, per unit: constant across both tracks means the jump was removed and A/V sync kept.</summary>
    private static double[] Shifts(List<Fed> fed, RecordingSink sink) => [.. fed.Zip(sink.Units, (f, u) => Ms(u) - f.TrueMs)];

    [Theory]
    [InlineData(-4_000)] // the clock restarts: 4 s back to 0
    [InlineData(-60_000)]
    [InlineData(3_600_000)] // an hour ahead
    [InlineData(10_000)]
    public void Demux_BothClocksJump_OneJumpAndOneSteadyTimelineInSync(long jumpMs)
    {
        (List<Fed> fed, RecordingSink sink) = Run(8, (kind, t) => (long)Math.Round(t) + 60_000 + (t >= 4000 ? jumpMs : 0));

        Assert.Single(sink.Jumps);
        Assert.Empty(sink.Repairs);
        AssertSteadyTimeline(sink);

        // After the jump every unit of both tracks moved by the same amount: in sync as published.
        double[] after = [.. Shifts(fed, sink).Where((_, i) => fed[i].TrueMs >= 4100)];
        Assert.InRange(after.Max() - after.Min(), 0, 1.5);
    }

    [Fact]
    public void Demux_OnlyVideoJumps_VideoRebasedInLineWithAudio()
    {
        (List<Fed> fed, RecordingSink sink) = Run(8, (kind, t) => (long)Math.Round(t) + (kind == MediaKind.Video && t >= 4000 ? 3_600_000 : 0));

        (MediaKind kind, _, _) = Assert.Single(sink.Jumps);
        Assert.Equal(MediaKind.Video, kind);
        AssertSteadyTimeline(sink);
        double[] shifts = Shifts(fed, sink);
        Assert.InRange(shifts.Max() - shifts.Min(), 0, 40);
        Assert.All(fed.Zip(sink.Units).Where(x => x.First.Kind == MediaKind.Audio), x => Assert.Equal(x.First.Stamp, Ms(x.Second), 1.0));
    }

    [Fact]
    public void Demux_AudioTenSecondsAheadFromTheStart_AudioRebasedOnce()
    {
        (List<Fed> fed, RecordingSink sink) = Run(6, (kind, t) => (long)Math.Round(t) + (kind == MediaKind.Audio ? 10_000 : 0));

        (MediaKind kind, _, _) = Assert.Single(sink.Jumps);
        Assert.Equal(MediaKind.Audio, kind);
        AssertSteadyTimeline(sink);
        double[] shifts = Shifts(fed, sink);
        Assert.InRange(shifts.Max() - shifts.Min(), 0, 40);
    }

    [Fact]
    public void Demux_AudioPausesAndResumesInLine_NoJump()
    {
        // A publisher that sends no audio for 6 s (muted), then resumes with the right timestamps.
        (List<Fed> fed, RecordingSink sink) = Run(12, (_, t) => (long)Math.Round(t), (kind, t) => kind == MediaKind.Video || t < 2000 || t >= 8000);

        Assert.Empty(sink.Jumps);
        Assert.Empty(sink.Repairs);
        Assert.All(fed.Zip(sink.Units), x => Assert.Equal(x.First.Stamp, Ms(x.Second), 1.0));
    }

    [Fact]
    public void Demux_VideoOnlyGapAboveMaxJump_ClosedUpAndReported()
    {
        // One track, 8 s without frames, then on: longer than any segment may be, so it is closed up.
        (_, RecordingSink sink) = Run(12, (_, t) => (long)Math.Round(t), (kind, t) => kind == MediaKind.Video && (t < 2000 || t >= 10000));
        Assert.Single(sink.Jumps);
        AssertSteadyTimeline(sink);
    }
}
