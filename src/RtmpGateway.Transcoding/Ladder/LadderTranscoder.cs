using System.Buffers;
using System.Globalization;
using RtmpGateway.Media;

namespace RtmpGateway.Transcoding.Ladder;

/// <summary>
/// The ABR ladder of one live stream: source H.264 access units in, one H.264 rendition per rung out,
/// each cut at exactly the source's keyframes and on the source's decode timeline.
/// <para>Threads: <see cref="Push"/> (the publisher's thread) only copies the payload into a bounded
/// queue and returns. A worker thread decodes once, scales once per rung (each rung from the smallest
/// larger one: 480p from 720p), and hands the frames to the rungs' encoders, each on its own thread
/// (<see cref="LadderParallelism.ThreadPerRung"/>) or inline (<see cref="LadderParallelism.Sequential"/>).
/// Output reaches the <see cref="ILadderSink"/> from those threads.</para>
/// <para>Keyframes: a decoded frame whose PTS is a source keyframe's PTS is encoded as a forced IDR;
/// x264 runs with scenecut=0, no B-frames and a 10 s keyint, so it adds no IDR of its own. Timestamps:
/// rung PTS = source PTS; rung DTS = PTS minus the source keyframes' composition delay (PTS - DTS of the
/// first source keyframe), so a rung IDR has the DTS and PTS of the source keyframe it mirrors.</para>
/// <para>Overload: when the queue is full the source frame is dropped, and so is everything up to the
/// next source keyframe, where the ladder resumes (<see cref="ILadderSink.OnDropped"/>, per rung).
/// Push never blocks, so the source rendition is never delayed.</para>
/// <para>End of stream: <see cref="Complete"/> then await <see cref="Completion"/> (or <see cref="CompleteAsync"/>);
/// the decoder and encoders are drained and their last frames delivered. <see cref="Dispose"/> does the
/// same, waits, then frees the native state.</para>
/// </summary>
public sealed class LadderTranscoder : IDisposable
{
    private readonly object _gate = new();
    private readonly Queue<SourceUnit> _queue = new();
    private readonly ILadderSink _sink;
    private readonly LadderRungPipeline[] _rungs;
    private readonly LadderTranscoderOptions _options;
    private readonly int _maxQueuedFrames;
    private readonly Thread _worker;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Guarded by _gate.
    private long _queuedBytes;
    private bool _completing;
    private bool _stopped;
    private bool _seenKeyframe;
    private bool _dropping;
    private long _droppedSinceKeyframe;
    private string? _dropReason;

    // Worker thread only.
    private readonly HashSet<long> _keyframePts = [];
    private VideoDecoder? _decoder;
    private long? _sourceOffset;
    private bool _awaitingKeyframeOutput = true;
    private Exception? _workerFault;

    private long _droppedFrames;
    private long _framesIn;
    private long _framesOut;
    private bool _disposed;

    /// <summary>
    /// Builds the decoder, scalers and encoders (so a bad rung fails here, not later) and starts the threads.
    /// </summary>
    /// <param name="sourceVideo">The source's H.264 configuration (avcC).</param>
    /// <param name="rungs">The rungs to encode, resolved for this source (<see cref="LadderPreset.RungsFor"/>).</param>
    /// <param name="frameRate">The source's nominal frame rate: x264's rate control and level, the keyint and the queue bound use it.</param>
    /// <exception cref="FFmpegException">FFmpeg is unavailable (<see cref="FFmpegError.LibrariesUnavailable"/>) or rejected a setting.</exception>
    public LadderTranscoder(CodecConfig sourceVideo, IReadOnlyList<LadderRung> rungs, double frameRate, ILadderSink sink, LadderTranscoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sourceVideo);
        ArgumentNullException.ThrowIfNull(rungs);
        ArgumentNullException.ThrowIfNull(sink);
        if (sourceVideo.Kind != MediaKind.Video || sourceVideo.Codec != MediaCodec.H264)
        {
            throw new ArgumentException($"the ladder decodes H.264 only, not {sourceVideo}", nameof(sourceVideo));
        }

        if (rungs.Count == 0)
        {
            throw new ArgumentException("no rungs to encode: serve the source alone (the passthrough preset)", nameof(rungs));
        }

        if (!(frameRate is > 0 and < 1000))
        {
            throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "a frame rate in frames per second");
        }

        _options = options ?? new LadderTranscoderOptions();
        _options.Validate();
        _sink = sink;
        FrameRate = frameRate;
        _maxQueuedFrames = Math.Max(2, (int)Math.Ceiling(_options.MaxQueueSeconds * frameRate));
        FFmpegRuntime.EnsureInitialized();

        (int rateNum, int rateDen) = RationalFrameRate(frameRate);
        int keyint = Math.Max(1, (int)Math.Round(_options.KeyframeIntervalSeconds * frameRate));
        var built = new List<LadderRungPipeline>();
        try
        {
            _decoder = new VideoDecoder(sourceVideo.Record.Span, _options.DecoderThreads);
            for (int i = 0; i < rungs.Count; i++)
            {
                LadderRung rung = rungs[i];
                var encoder = new VideoEncoderOptions
                {
                    Width = rung.Width,
                    Height = rung.Height,
                    FrameRateNumerator = rateNum,
                    FrameRateDenominator = rateDen,
                    BitRate = rung.BitRate,
                    MaxRate = rung.MaxRate,
                    BufferSize = rung.BufferSize,
                    KeyframeInterval = keyint,
                    Preset = rung.Preset,
                    Profile = rung.Profile,
                    Level = H264Level.Fit(rung.Level, rung.Width, rung.Height, frameRate, rung.MaxRate, rung.BufferSize, rung.Profile),
                    Tune = rung.Tune,
                    Threads = _options.EffectiveEncoderThreads,
                };
                // No B-frames: encoder DTS = PTS, so the rung can take the source's decode timeline.
                encoder.AdditionalOptions["bf"] = "0";
                built.Add(new LadderRungPipeline(
                    rung, ParentFor(rungs, i), encoder, _options.Scaling, sink, _options.RungQueueFrames, _options.Parallelism == LadderParallelism.ThreadPerRung));
            }
        }
        catch
        {
            foreach (LadderRungPipeline r in built)
            {
                r.Dispose();
            }

            _decoder?.Dispose();
            throw;
        }

        _rungs = [.. built];
        foreach (LadderRungPipeline rung in _rungs)
        {
            rung.Start();
        }

        _worker = new Thread(RunWorker) { IsBackground = true, Name = "ladder decode" };
        _worker.Start();
    }

    /// <summary>The nominal frame rate given at construction.</summary>
    public double FrameRate { get; }

    /// <summary>The rungs being encoded, resolved sizes, in the order given.</summary>
    public IReadOnlyList<LadderRung> Rungs => [.. _rungs.Select(r => r.Rung)];

    /// <summary>Source frames dropped so far (queue full, before the first keyframe, rejected by the decoder).</summary>
    public long DroppedFrames => Interlocked.Read(ref _droppedFrames);

    /// <summary>Source frames accepted into the queue so far.</summary>
    public long FramesIn => Interlocked.Read(ref _framesIn);

    /// <summary>Decoded frames handed to the rungs so far.</summary>
    public long FramesOut => Interlocked.Read(ref _framesOut);

    /// <summary>Completes when every thread has stopped after <see cref="Complete"/>; faults if the decoder or a rung failed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Like the constructor, but returns null when the FFmpeg libraries are missing or unsupported, with
    /// <paramref name="status"/> saying what to install (the caller then serves the source alone).
    /// </summary>
    public static LadderTranscoder? TryCreate(
        CodecConfig sourceVideo, IReadOnlyList<LadderRung> rungs, double frameRate, ILadderSink sink, LadderTranscoderOptions? options, out string status)
    {
        if (!FFmpegRuntime.TryInitialize(out FFmpegStatus ffmpeg))
        {
            status = ffmpeg.Message;
            return null;
        }

        status = ffmpeg.Message;
        return new LadderTranscoder(sourceVideo, rungs, frameRate, sink, options);
    }

    /// <summary>
    /// Queues one source video access unit (payload copied; the caller's memory may be reused at once).
    /// Never blocks: when transcoding is behind, the unit and all up to the next keyframe are dropped.
    /// </summary>
    /// <remarks>Call from one thread (the publisher's), and not concurrently with <see cref="Complete"/>.</remarks>
    /// <exception cref="InvalidOperationException">After <see cref="Complete"/>.</exception>
    public void Push(in AccessUnit sourceVideoUnit)
    {
        if (sourceVideoUnit.Kind != MediaKind.Video)
        {
            throw new ArgumentException("the ladder takes video access units only", nameof(sourceVideoUnit));
        }

        int length = sourceVideoUnit.Payload.Length;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_completing)
            {
                throw new InvalidOperationException("Push after Complete");
            }

            if (!Admit(sourceVideoUnit.IsKeyframe, length))
            {
                _droppedSinceKeyframe++;
                Interlocked.Increment(ref _droppedFrames);
                return;
            }
        }

        // Copied outside the lock: the worker's dequeue never waits behind a memcpy.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        sourceVideoUnit.Payload.Span.CopyTo(buffer);
        lock (_gate)
        {
            long dropped = _droppedSinceKeyframe;
            string? reason = _dropReason;
            _droppedSinceKeyframe = 0;
            _dropReason = null;
            _queue.Enqueue(new SourceUnit(sourceVideoUnit.Config, buffer, length, sourceVideoUnit.Dts, sourceVideoUnit.Pts, sourceVideoUnit.IsKeyframe, dropped, reason));
            Interlocked.Increment(ref _framesIn);
            Monitor.Pulse(_gate);
        }
    }

    /// <summary>End of stream: the queued frames are still transcoded, then everything is drained.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completing = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <summary><see cref="Complete"/>, then the task of <see cref="Completion"/>.</summary>
    public Task CompleteAsync()
    {
        Complete();
        return Completion;
    }

    /// <summary>Completes, waits for the last frames to be delivered, and frees the native state. Never call it from the sink.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Complete();
        _worker.Join();
        lock (_gate)
        {
            _disposed = true;
            while (_queue.TryDequeue(out SourceUnit? unit))
            {
                ArrayPool<byte>.Shared.Return(unit.Buffer);
            }
        }

        foreach (LadderRungPipeline rung in _rungs)
        {
            rung.Dispose();
        }

        _decoder?.Dispose();
    }

    /// <summary>The overload policy, under the lock: true to queue the unit (the memory is reserved).</summary>
    private bool Admit(bool isKeyframe, int length)
    {
        if (_stopped)
        {
            _dropReason ??= "the transcoder stopped after a failure";
            return false;
        }

        if (!_seenKeyframe)
        {
            if (!isKeyframe)
            {
                // Nothing decodes before the first keyframe (a publisher may start mid-GOP).
                _dropReason ??= "waiting for the stream's first keyframe";
                return false;
            }

            _seenKeyframe = true;
        }

        bool full = _queue.Count >= _maxQueuedFrames || (_queue.Count > 0 && _queuedBytes + length > _options.MaxQueuedBytes);
        if (_dropping && (!isKeyframe || full))
        {
            return false;
        }

        if (full)
        {
            // Behind real time: drop up to the next keyframe, where the decoder and encoders can resume cleanly.
            _dropping = true;
            _dropReason = string.Create(
                CultureInfo.InvariantCulture, $"transcoding queue full ({_queue.Count} frames, {_queuedBytes} bytes: behind real time)");
            return false;
        }

        _dropping = false;
        _queuedBytes += length;
        return true;
    }

    private void RunWorker()
    {
        try
        {
            while (TryDequeue(out SourceUnit? unit))
            {
                try
                {
                    Process(unit);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(unit.Buffer);
                }
            }

            DrainDecoder();
        }
        catch (Exception e)
        {
            // The decode side failed: no more frames for any rung. The rungs still flush what they have.
            _workerFault = e;
            foreach (LadderRungPipeline rung in _rungs)
            {
                rung.ReportDropped($"transcoder stopped: {e.GetType().Name}: {e.Message}");
            }

            lock (_gate)
            {
                // Push keeps working (dropping, counted): the publisher's source rendition must not notice.
                _stopped = true;
            }
        }

        foreach (LadderRungPipeline rung in _rungs)
        {
            rung.Complete();
        }

        foreach (LadderRungPipeline rung in _rungs)
        {
            rung.Join();
        }

        var faults = _rungs.Select(r => r.Fault).Prepend(_workerFault).OfType<Exception>().ToList();
        if (faults.Count == 0)
        {
            _completion.TrySetResult();
        }
        else
        {
            _completion.TrySetException(faults);
        }
    }

    private bool TryDequeue([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SourceUnit? unit)
    {
        lock (_gate)
        {
            while (_queue.Count == 0)
            {
                if (_completing)
                {
                    unit = null;
                    return false;
                }

                Monitor.Wait(_gate);
            }

            unit = _queue.Dequeue();
            _queuedBytes -= unit.Length;
            return true;
        }
    }

    private void Process(SourceUnit unit)
    {
        if (unit.DroppedBefore > 0)
        {
            string reason = string.Create(
                CultureInfo.InvariantCulture, $"{unit.DroppedBefore} source frames dropped: {unit.DropReason}; resumed at the keyframe at DTS {unit.Dts}");
            foreach (LadderRungPipeline rung in _rungs)
            {
                rung.ReportDropped(reason);
            }
        }

        if (!unit.Config.SameRecord(_decoder!.Config))
        {
            // A new sequence header mid-stream: finish the old decoder's frames, then start over with the
            // new avcC. The rungs keep their sizes (the scalers adapt to the new source geometry).
            DrainDecoder();
            _decoder.Dispose();
            _decoder = null;
            _decoder = new VideoDecoder(unit.Config.Record.Span, _options.DecoderThreads);
        }

        if (unit.IsKeyframe)
        {
            // The source's composition delay, from its first keyframe; constant from then on.
            _sourceOffset ??= Math.Max(0, unit.Pts - unit.Dts);
            _keyframePts.Add(unit.Pts);
        }

        try
        {
            _decoder.Send(unit.Buffer.AsSpan(0, unit.Length), unit.Pts, unit.Dts, unit.IsKeyframe);
        }
        catch (FFmpegException e) when (e.Error == FFmpegError.InvalidData)
        {
            _keyframePts.Remove(unit.Pts);
            Interlocked.Increment(ref _droppedFrames);
            string reason = string.Create(CultureInfo.InvariantCulture, $"1 source frame at DTS {unit.Dts} rejected by the decoder: {e.Message}");
            foreach (LadderRungPipeline rung in _rungs)
            {
                rung.ReportDropped(reason);
            }
        }

        ReceiveFrames();
    }

    private void DrainDecoder()
    {
        if (_decoder is null || _decoder.IsDrained)
        {
            return;
        }

        _decoder.Flush();
        ReceiveFrames();
    }

    private void ReceiveFrames()
    {
        while (_decoder!.TryReceive(out DecodedFrame? frame))
        {
            using (frame)
            {
                if (frame.Pts is not { } pts)
                {
                    continue;
                }

                // Decoders reorder: the keyframe flag is found again by PTS.
                bool idr = _keyframePts.Remove(pts);
                if (idr)
                {
                    // A keyframe PTS that never came out (a damaged frame) must not linger.
                    _keyframePts.RemoveWhere(k => k < pts);
                    _awaitingKeyframeOutput = false;
                }
                else if (_awaitingKeyframeOutput)
                {
                    // Leading pictures of an open GOP at the very start: the rungs begin with an IDR.
                    continue;
                }

                EncodeRungs(frame, pts, idr);
                Interlocked.Increment(ref _framesOut);
            }
        }
    }

    private void EncodeRungs(DecodedFrame source, long pts, bool idr)
    {
        var scaled = new DecodedFrame?[_rungs.Length];
        try
        {
            for (int i = 0; i < _rungs.Length; i++)
            {
                LadderRungPipeline rung = _rungs[i];
                scaled[i] = rung.Scaler.Scale(rung.ParentIndex < 0 ? source : scaled[rung.ParentIndex]!);
            }

            for (int i = 0; i < _rungs.Length; i++)
            {
                DecodedFrame frame = scaled[i]!;
                scaled[i] = null;
                _rungs[i].Submit(frame, pts, idr, _sourceOffset ?? 0);
            }
        }
        finally
        {
            foreach (DecodedFrame? left in scaled)
            {
                left?.Dispose();
            }
        }
    }

    /// <summary>The smallest earlier rung at least as large in both directions (cascade), else -1 (the source).</summary>
    private static int ParentFor(IReadOnlyList<LadderRung> rungs, int index)
    {
        int parent = -1;
        for (int j = 0; j < index; j++)
        {
            if (rungs[j].Width >= rungs[index].Width && rungs[j].Height >= rungs[index].Height
                && (parent < 0 || rungs[j].Width * rungs[j].Height < rungs[parent].Width * rungs[parent].Height))
            {
                parent = j;
            }
        }

        return parent;
    }

    /// <summary>29.97 as 30000/1001 and so on; otherwise milli-frames per second.</summary>
    private static (int Numerator, int Denominator) RationalFrameRate(double fps)
    {
        double ntsc = fps * 1.001;
        if (Math.Abs(ntsc - Math.Round(ntsc)) < 0.005 && Math.Abs(fps - Math.Round(fps)) > 0.005)
        {
            return ((int)Math.Round(ntsc) * 1000, 1001);
        }

        int numerator = (int)Math.Round(fps * 1000);
        int gcd = Gcd(numerator, 1000);
        return (numerator / gcd, 1000 / gcd);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    private sealed record SourceUnit(CodecConfig Config, byte[] Buffer, int Length, long Dts, long Pts, bool IsKeyframe, long DroppedBefore, string? DropReason);
}
