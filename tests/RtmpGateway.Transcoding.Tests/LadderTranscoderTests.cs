using System.Diagnostics;
using System.Globalization;
using RtmpGateway.Media;
using RtmpGateway.Transcoding.Ladder;
using Xunit.Abstractions;

namespace RtmpGateway.Transcoding.Tests;

/// <summary>A 1080p30 H.264 clip (testsrc2, 2 s GOP, B-frames on, 6 s) made once for the ladder tests.</summary>
public sealed class Ladder1080pClipFixture : IDisposable
{
    public Ladder1080pClipFixture()
    {
        Directory = TestMedia.TempDirectory();
        Clip = LadderSourceClip.Make(Directory, "source-1080p.flv", 1920, 1080, 30, 6, gop: 60);
    }

    public string Directory { get; }

    internal LadderSourceClip Clip { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

[Trait("Category", "Native")]
public sealed class LadderTranscoderTests : IClassFixture<Ladder1080pClipFixture>
{
    private readonly Ladder1080pClipFixture _fixture;
    private readonly ITestOutputHelper _output;

    public LadderTranscoderTests(Ladder1080pClipFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task Push_1080pClipThroughDefaultLadder_RungsAlignedWithSourceAndDecodable()
    {
        LadderSourceClip clip = _fixture.Clip;
        List<AccessUnit> source = clip.Units;
        Assert.Equal(180, source.Count);
        Assert.Contains(source, u => u.Pts != u.Dts); // B-frames in the source: the offset matters
        var sourceKeys = source.Where(u => u.IsKeyframe).Select(u => (u.Dts, u.Pts)).ToList();
        Assert.Equal(3, sourceKeys.Count);
        IReadOnlyList<LadderRung> rungs = LadderPresetLoader.Load(LadderPresetTests.ConfigDirectory(), "default").RungsFor(1920, 1080);
        var sink = new RecordingLadderSink();

        using (LadderTranscoder? transcoder = LadderTranscoder.TryCreate(clip.Config, rungs, 30, sink, Unbounded(), out string status))
        {
            Assert.True(transcoder is not null, status);
            foreach (AccessUnit unit in source)
            {
                transcoder.Push(unit);
            }

            await transcoder.CompleteAsync();
            Assert.Equal(0, transcoder.DroppedFrames);
        }

        Assert.Empty(sink.Dropped);
        double seconds = source.Count / 30.0;
        foreach (LadderRung rung in rungs)
        {
            CodecConfig config = sink.Configs[rung.Name];
            CodecConfig reparsed = CodecConfig.FromAvcRecord(config.Record.Span);
            Assert.Equal((rung.Width, rung.Height), (reparsed.Width, reparsed.Height));
            List<AccessUnit> units = sink.Units[rung.Name];
            Assert.Equal("config", sink.Events[rung.Name][0]);
            Assert.Equal(source.Count, units.Count);
            Assert.Equal(source.Select(u => u.Pts).Order(), units.Select(u => u.Pts).Order());
            // IDRs exactly at the source keyframes, with their DTS and PTS, and nowhere else.
            Assert.Equal(sourceKeys, units.Where(u => u.IsKeyframe).Select(u => (u.Dts, u.Pts)));
            foreach (AccessUnit unit in units)
            {
                bool idr = TestMedia.SplitLengthPrefixed(unit.Payload.Span).Any(n => (n[0] & 0x1F) == AnnexB.NalTypeIdr);
                Assert.Equal(unit.IsKeyframe, idr);
                Assert.True(unit.Dts <= unit.Pts);
            }

            Assert.All(units.Zip(units.Skip(1)), p => Assert.True(p.Second.Dts > p.First.Dts, $"{rung.Name}: DTS {p.Second.Dts} after {p.First.Dts}"));

            string flv = Path.Combine(_fixture.Directory, $"rung-{rung.Name}.flv");
            TestMedia.WriteFlv(flv, config.Record.Span, [.. units.Select(u => new EncodedPacket(u.Pts, u.Dts, u.IsKeyframe, u.Payload))]);
            (int exit, _, string stderr) = TestMedia.Run("ffmpeg", "-v", "error", "-i", flv, "-f", "null", "-");
            Assert.True(exit == 0 && stderr.Length == 0, $"{rung.Name}: {stderr}");

            double kbps = units.Sum(u => (long)u.Payload.Length) * 8 / seconds / 1000;
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rung.Name} {reparsed.Width}x{reparsed.Height} {config.CodecString}: {kbps:F0} kbit/s for a {rung.BitRate / 1000} kbit/s target ({kbps * 1000 / rung.BitRate:P0})"));
            Assert.InRange(kbps * 1000, rung.BitRate * 0.75, rung.BitRate * 1.25);
        }
    }

    [Fact]
    public async Task Push_WorkerBlockedBySink_DropsUntilNextKeyframeWithoutBlockingTheCaller()
    {
        string dir = TestMedia.TempDirectory();
        try
        {
            // 4 s, 1 s GOP: four keyframes to resync at.
            LadderSourceClip clip = LadderSourceClip.Make(dir, "small.flv", 640, 360, 30, 4, gop: 30);
            LadderRung rung = new("180p", 320, 180, 300_000, 320_000, 450_000, "veryfast", "main");
            var sink = new RecordingLadderSink(blocked: true);
            var options = new LadderTranscoderOptions { MaxQueueSeconds = 0.2, RungQueueFrames = 1 };
            long slowest = 0;
            long dropped;
            using (var transcoder = new LadderTranscoder(clip.Config, [rung], 30, sink, options))
            {
                // Paced like a (fast) live source; the sink blocks the worker until 70 frames are in, so
                // the queue fills, frames are dropped through the keyframes at 1 s and 2 s, and the
                // ladder resumes at the keyframe at 3 s.
                for (int i = 0; i < clip.Units.Count; i++)
                {
                    if (i == 70)
                    {
                        sink.Release();
                    }

                    long start = Stopwatch.GetTimestamp();
                    transcoder.Push(clip.Units[i]);
                    slowest = Math.Max(slowest, Stopwatch.GetTimestamp() - start);
                    Thread.Sleep(5);
                }

                dropped = transcoder.DroppedFrames;
                await transcoder.CompleteAsync();
                Assert.Equal(dropped, transcoder.DroppedFrames);
            }

            _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dropped {dropped} of {clip.Units.Count}; slowest Push {Stopwatch.GetElapsedTime(0, slowest).TotalMilliseconds:F2} ms"));
            // A blocked Push would wait for the sink forever; the bound is loose for a loaded CI machine.
            Assert.True(Stopwatch.GetElapsedTime(0, slowest) < TimeSpan.FromMilliseconds(50));
            Assert.InRange(dropped, 1, clip.Units.Count - 30);
            Assert.Contains(sink.Units[rung.Name], u => u.IsKeyframe && u.Pts == clip.Units[90].Pts);

            // Every gap in the rung's output is a run of dropped source frames that ends at a source keyframe.
            HashSet<long> delivered = sink.Units[rung.Name].Select(u => u.Pts).ToHashSet();
            List<AccessUnit> byDts = clip.Units;
            Assert.Equal(clip.Units.Count - dropped, delivered.Count);
            for (int i = 0; i < byDts.Count; i++)
            {
                if (!delivered.Contains(byDts[i].Pts) && i + 1 < byDts.Count && delivered.Contains(byDts[i + 1].Pts))
                {
                    Assert.True(byDts[i + 1].IsKeyframe, $"resumed at DTS {byDts[i + 1].Dts}, not a keyframe");
                }
            }

            Assert.Equal(
                clip.Units.Where(u => u.IsKeyframe && delivered.Contains(u.Pts)).Select(u => u.Pts).Order(),
                sink.Units[rung.Name].Where(u => u.IsKeyframe).Select(u => u.Pts).Order());
            // The drops are reported with their count and reason.
            long reported = sink.Dropped.Sum(d => long.Parse(d.Reason.Split(' ')[0], CultureInfo.InvariantCulture));
            Assert.Equal(dropped, reported);
            Assert.All(sink.Dropped, d => Assert.Contains("queue full", d.Reason, StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Push_FrameTheDecoderRejects_DroppedAndCountedNotFatal()
    {
        string dir = TestMedia.TempDirectory();
        try
        {
            LadderSourceClip clip = LadderSourceClip.Make(dir, "small.flv", 320, 240, 30, 2, gop: 30);
            LadderRung rung = new("120p", 160, 120, 100_000, 100_000, 150_000, "veryfast", "main");
            var sink = new RecordingLadderSink();
            using var transcoder = new LadderTranscoder(clip.Config, [rung], 30, sink, Unbounded());
            for (int i = 0; i < clip.Units.Count; i++)
            {
                AccessUnit unit = clip.Units[i];
                if (i == 45)
                {
                    // nal_unit_type 0 with forbidden_zero_bit set, and a length beyond the payload.
                    transcoder.Push(unit with { Payload = new byte[] { 0, 0, 0x10, 0, 0x80, 1, 2, 3 } });
                }
                else
                {
                    transcoder.Push(unit);
                }
            }

            await transcoder.CompleteAsync();

            _output.WriteLine(string.Join(Environment.NewLine, sink.Dropped.Select(d => d.Reason)));
            Assert.Equal(1, transcoder.DroppedFrames);
            Assert.Contains(sink.Dropped, d => d.Reason.Contains("rejected by the decoder", StringComparison.Ordinal));
            Assert.InRange(sink.Units[rung.Name].Count, clip.Units.Count - 15, clip.Units.Count - 1);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Push_SourceResolutionChangesMidStream_RungKeepsItsSizeAndEveryFrame()
    {
        string dir = TestMedia.TempDirectory();
        try
        {
            // 320x240 for 2 s, then a new sequence header: 480x270 for 2 s, on the same timeline. Parameter
            // sets only in the sequence headers (global headers), as OBS and ffmpeg send them over RTMP:
            // the new size reaches the decoder only through the new avcC.
            LadderSourceClip first = LadderSourceClip.Make(dir, "first.flv", 320, 240, 30, 2, gop: 30, "-flags:v", "+global_header");
            LadderSourceClip second = LadderSourceClip.Make(dir, "second.flv", 480, 270, 30, 2, gop: 30, "-flags:v", "+global_header");
            Assert.DoesNotContain(second.Units, u => TestMedia.SplitLengthPrefixed(u.Payload.Span).Any(n => (n[0] & 0x1F) is 7 or 8));
            long shift = first.Units.Max(u => u.Dts) + 3000 - second.Units.Min(u => u.Dts);
            List<AccessUnit> source = [.. first.Units, .. second.Units.Select(u => u with { Dts = u.Dts + shift, Pts = u.Pts + shift })];
            LadderRung rung = new("144p", 256, 144, 150_000, 160_000, 225_000, "veryfast", "main");
            var sink = new RecordingLadderSink();
            using (var transcoder = new LadderTranscoder(first.Config, [rung], 30, sink, Unbounded()))
            {
                foreach (AccessUnit unit in source)
                {
                    transcoder.Push(unit);
                }

                await transcoder.CompleteAsync();
                Assert.Equal(0, transcoder.DroppedFrames);
            }

            // The decoder started over with the new avcC and the scaler took the new geometry: no
            // frame lost or rejected, the rung's size and config unchanged, an IDR at each source keyframe.
            Assert.Empty(sink.Dropped);
            CodecConfig config = Assert.Single(sink.Configs).Value;
            Assert.Equal((256, 144), (config.Width, config.Height));
            List<AccessUnit> units = sink.Units[rung.Name];
            Assert.Equal(source.Select(u => u.Pts).Order(), units.Select(u => u.Pts).Order());
            Assert.Equal(source.Where(u => u.IsKeyframe).Select(u => u.Pts), units.Where(u => u.IsKeyframe).Select(u => u.Pts));

            string flv = Path.Combine(dir, "rung.flv");
            TestMedia.WriteFlv(flv, config.Record.Span, [.. units.Select(u => new EncodedPacket(u.Pts, u.Dts, u.IsKeyframe, u.Payload))]);
            (int exit, _, string stderr) = TestMedia.Run("ffmpeg", "-v", "error", "-i", flv, "-f", "null", "-");
            Assert.True(exit == 0 && stderr.Length == 0, stderr);

            // And the pictures after the change are the new source's, scaled (a decoder still on the old
            // parameter sets conceals errors and keeps making 320x240 pictures: garbage, far below this).
            int firstCount = first.Units.Count;
            (int psnrExit, _, string psnr) = TestMedia.Run(
                "ffmpeg", "-v", "info", "-nostats", "-i", flv, "-i", second.Path, "-filter_complex",
                $"[0:v]select='gte(n,{firstCount})',setpts=N/30/TB[rung];[1:v]scale=256:144,setpts=N/30/TB[reference];[rung][reference]psnr",
                "-f", "null", "-");
            Assert.Equal(0, psnrExit);
            string average = psnr.Split('\n').Last(l => l.Contains("PSNR y:", StringComparison.Ordinal)).Split("average:")[1].Split(' ')[0];
            _output.WriteLine($"rung after the change vs the new source scaled: PSNR average {average} dB");
            Assert.True(double.Parse(average, CultureInfo.InvariantCulture) > 25, $"PSNR {average} dB");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A queue that never fills for a 6 s clip pushed at once: no drops, so the counts can be compared.</summary>
    private static LadderTranscoderOptions Unbounded() => new() { MaxQueueSeconds = 1000, MaxQueuedBytes = 1L << 30 };
}
