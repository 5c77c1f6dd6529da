using System.Collections.Concurrent;
using System.Globalization;
using RtmpGateway.Media;

namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// One rung of a <see cref="LadderTranscoder"/>: its scaler (used by the transcoder's worker), its
/// encoder, and the mapping of encoder output onto the source's decode timeline. With a thread of its
/// own, <see cref="Submit"/> hands the frame over through a small bounded queue (blocking when full: that
/// is the back-pressure that makes the transcoder drop source frames); without, it encodes inline.
/// </summary>
internal sealed class LadderRungPipeline : IDisposable
{
    private readonly ILadderSink _sink;
    private readonly BlockingCollection<Work>? _queue;
    private readonly Thread? _thread;
    private bool _configSent;
    private long _lastDts = long.MinValue;
    private bool _failed;
    private long _offset;

    public LadderRungPipeline(LadderRung rung, int parentIndex, VideoEncoderOptions encoderOptions, ScalingAlgorithm scaling, ILadderSink sink, int queueFrames, bool ownThread)
    {
        Rung = rung;
        ParentIndex = parentIndex;
        _sink = sink;
        Scaler = new FrameScaler(rung.Width, rung.Height, scaling);
        try
        {
            Encoder = new VideoEncoder(encoderOptions);
        }
        catch
        {
            Scaler.Dispose();
            throw;
        }

        if (ownThread)
        {
            _queue = new BlockingCollection<Work>(queueFrames);
            _thread = new Thread(Run) { IsBackground = true, Name = "ladder " + rung.Name };
        }
    }

    public LadderRung Rung { get; }

    public string Name => Rung.Name;

    /// <summary>The rung this one is scaled from (-1: the decoded source), the smallest larger one.</summary>
    public int ParentIndex { get; }

    /// <summary>Used by the transcoder's worker thread only.</summary>
    public FrameScaler Scaler { get; }

    public VideoEncoder Encoder { get; }

    /// <summary>The first failure of this rung's encoder or sink, if any.</summary>
    public Exception? Fault { get; private set; }

    public void Start() => _thread?.Start();

    /// <summary>
    /// Encodes <paramref name="frame"/> (ownership passes here) at <paramref name="pts"/>, as an IDR when
    /// <paramref name="idr"/>; <paramref name="sourceOffset"/> is the source's composition delay.
    /// </summary>
    public void Submit(DecodedFrame frame, long pts, bool idr, long sourceOffset)
    {
        var work = new Work(frame, pts, idr, sourceOffset, null);
        if (_queue is null)
        {
            Process(work);
        }
        else
        {
            _queue.Add(work);
        }
    }

    /// <summary>Reports lost frames, in order with this rung's output.</summary>
    public void ReportDropped(string reason)
    {
        var work = new Work(null, 0, false, 0, reason);
        if (_queue is null)
        {
            Process(work);
        }
        else
        {
            _queue.Add(work);
        }
    }

    /// <summary>End of input: flushes the encoder (on its thread, when it has one) and delivers the rest.</summary>
    public void Complete()
    {
        if (_queue is null)
        {
            Finish();
        }
        else
        {
            _queue.CompleteAdding();
        }
    }

    /// <summary>Waits for the rung's thread (after <see cref="Complete"/>).</summary>
    public void Join() => _thread?.Join();

    public void Dispose()
    {
        Encoder.Dispose();
        Scaler.Dispose();
        _queue?.Dispose();
    }

    private void Run()
    {
        foreach (Work work in _queue!.GetConsumingEnumerable())
        {
            Process(work);
        }

        Finish();
    }

    private void Process(Work work)
    {
        if (work.DropReason is not null)
        {
            Guard(() => _sink.OnDropped(Name, work.DropReason));
            return;
        }

        using DecodedFrame frame = work.Frame!;
        if (_failed)
        {
            return;
        }

        Guard(() =>
        {
            Encoder.Encode(frame, work.Pts, work.Idr);
            Deliver(work.SourceOffset);
        });
        _offset = work.SourceOffset;
    }

    private void Finish()
    {
        if (_failed)
        {
            return;
        }

        Guard(() =>
        {
            Encoder.Flush();
            Deliver(_offset);
        });
    }

    private void Deliver(long sourceOffset)
    {
        while (Encoder.TryReceive(out EncodedPacket? packet))
        {
            if (!_configSent)
            {
                _sink.OnRungConfig(Name, Encoder.Config);
                _configSent = true;
            }

            // No B-frames, so the encoder's decode order is presentation order. Shifting every PTS back by
            // the source's composition delay puts each rung IDR at exactly its source keyframe's DTS; the
            // clamp only acts if that delay was not constant in the source.
            long dts = packet.Pts - sourceOffset;
            if (dts <= _lastDts)
            {
                dts = _lastDts + 1;
            }

            _lastDts = dts;
            _sink.OnRungAccessUnit(Name, new AccessUnit(Encoder.Config, dts, packet.Pts, packet.IsKeyframe, packet.Payload));
        }
    }

    private void Guard(Action action)
    {
        if (_failed)
        {
            return;
        }

        try
        {
            action();
        }
        catch (Exception e)
        {
            // A failed rung stops; the others and the source go on. The caller sees it in OnDropped and Completion.
            _failed = true;
            Fault = e;
            try
            {
                _sink.OnDropped(Name, string.Create(CultureInfo.InvariantCulture, $"rung stopped: {e.GetType().Name}: {e.Message}"));
            }
            catch (Exception inner)
            {
                Fault = new AggregateException(e, inner);
            }
        }
    }

    private sealed record Work(DecodedFrame? Frame, long Pts, bool Idr, long SourceOffset, string? DropReason);
}
