using System.Diagnostics;
using System.Text;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>A real external tool (ffmpeg, ffprobe) run to completion with a deadline; stopped by its own PID.</summary>
public sealed class ToolProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ToolProcess(Process process)
    {
        _process = process;
    }

    public string StdOut
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>The process id, for signals to this process only.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has ended (by itself, or killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Sends a POSIX signal (TERM, STOP, CONT, ...) to this process alone, with kill(1).</summary>
    public Task SignalAsync(string signal) => Signal(_process.Id, signal);

    /// <summary>kill -s SIGNAL PID: one process, by its id.</summary>
    public static async Task Signal(int pid, string signal)
    {
        await using ToolProcess kill = await RunAsync(TimeSpan.FromSeconds(10), "kill", "-s", signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(kill.ExitCode == 0, $"kill -s {signal} {pid}: {kill.StdErr}");
    }

    public static ToolProcess Start(string fileName, params string[] args)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi };
        var tool = new ToolProcess(process);
        process.OutputDataReceived += (_, e) => Append(tool._stdout, e.Data, tool._stdoutDone);
        process.ErrorDataReceived += (_, e) => Append(tool._stderr, e.Data, tool._stderrDone);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return tool;
    }

    private static void Append(StringBuilder sb, string? line, TaskCompletionSource done)
    {
        if (line is null)
        {
            done.TrySetResult();
            return;
        }

        lock (sb)
        {
            sb.AppendLine(line);
        }
    }

    /// <summary>Waits for the exit; past the deadline the process is killed and the test fails.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"{_process.StartInfo.FileName} did not finish within {timeout}; stderr:\n{StdErr}");
        }

        await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public static async Task<ToolProcess> RunAsync(TimeSpan timeout, string fileName, params string[] args)
    {
        ToolProcess tool = Start(fileName, args);
        await tool.WaitAsync(timeout);
        return tool;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
