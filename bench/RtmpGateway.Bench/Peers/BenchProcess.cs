using System.Collections.Concurrent;
using System.Diagnostics;

namespace RtmpGateway.Bench.Peers;

/// <summary>
/// A process the bench started (a server, a publisher, wrk): its output goes to a log file, and it
/// is stopped, with every process under it, by its PID. All live ones are also stopped when the
/// bench exits for any reason (Ctrl+C, an exception), so no server or publisher outlives a run.
/// </summary>
internal sealed class BenchProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<BenchProcess, byte> Live = new();

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _logClosed;

    private BenchProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(logPath);
    }

    public int Id => _process.Id;

    /// <summary><see cref="Stopwatch.GetTimestamp"/> just before the process was started.</summary>
    public long StartTimestamp { get; private set; }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static BenchProcess Start(string logPath, string fileName, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var bench = new BenchProcess(new Process { StartInfo = psi }, logPath);
        bench._process.OutputDataReceived += (_, e) => bench.Append(e.Data, bench._stdoutDone);
        bench._process.ErrorDataReceived += (_, e) => bench.Append(e.Data, bench._stderrDone);
        bench.StartTimestamp = Stopwatch.GetTimestamp();
        bench._process.Start();
        Live.TryAdd(bench, 0);
        bench._process.BeginOutputReadLine();
        bench._process.BeginErrorReadLine();
        return bench;
    }

    /// <summary>Stops every process still running that the bench started (exit paths and signals).</summary>
    public static void StopAll()
    {
        foreach (BenchProcess p in Live.Keys)
        {
            p.Kill();
        }
    }

    /// <summary>The output so far.</summary>
    public string ReadLog()
    {
        lock (_log)
        {
            if (!_logClosed)
            {
                _log.Flush();
            }
        }

        using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    /// <summary>Waits for the exit (and the end of its output); false when the timeout passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        Live.TryRemove(this, out _);
        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }

        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGKILL to this PID and to every descendant, found by parent PID in /proc.
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }
    }

    private void Append(string? line, TaskCompletionSource done)
    {
        if (line is null)
        {
            done.TrySetResult();
            return;
        }

        lock (_log)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }
}
