namespace RtmpGateway.Bench.Peers;

/// <summary>A server's cost at one instant: its whole process tree (nginx master and workers; node and the ffmpeg it runs per stream).</summary>
internal readonly record struct TreeUsage(int Processes, double CpuSeconds, long RssBytes, long PssBytes)
{
    public static TreeUsage Read(int rootPid)
    {
        List<ProcStat> tree = ProcFs.Tree(rootPid, ProcFs.ReadAll());
        long ticks = 0;
        long rssPages = 0;
        long pssKiB = 0;
        foreach (ProcStat p in tree)
        {
            ticks += p.CpuTicks;
            rssPages += p.RssPages;
            pssKiB += ProcFs.PssKiB(p.Pid);
        }

        return new TreeUsage(tree.Count, (double)ticks / ProcFs.ClockTicksPerSecond, rssPages * Environment.SystemPageSize, pssKiB * 1024);
    }
}

/// <summary>Samples a server's tree in the background and keeps the peaks of its memory.</summary>
internal sealed class TreePeakSampler : IAsyncDisposable
{
    private readonly int _rootPid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private TreePeakSampler(int rootPid, TimeSpan interval)
    {
        _rootPid = rootPid;
        _loop = LoopAsync(interval);
    }

    public long PeakRssBytes { get; private set; }

    public long PeakPssBytes { get; private set; }

    public int PeakProcesses { get; private set; }

    public static TreePeakSampler Start(int rootPid, TimeSpan interval) => new(rootPid, interval);

    /// <summary>Ends the sampling; the peaks stay readable.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        await Task.Yield();
        while (!_stop.IsCancellationRequested)
        {
            TreeUsage now = TreeUsage.Read(_rootPid);
            PeakRssBytes = Math.Max(PeakRssBytes, now.RssBytes);
            PeakPssBytes = Math.Max(PeakPssBytes, now.PssBytes);
            PeakProcesses = Math.Max(PeakProcesses, now.Processes);
            try
            {
                await Task.Delay(interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
