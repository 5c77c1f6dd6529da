using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The gateway as its own process (`dotnet RtmpGateway.Server.dll`, the build next to the tests), for
/// what only a process shows: signals, exit codes, restarts. Its console log is kept line by line;
/// the ports come from its own "listening" lines. Stopped only by its own PID.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _outputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GatewayProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public Uri HttpBase { get; private set; } = null!;

    public IPEndPoint RtmpEndPoint { get; private set; } = null!;

    public string RtmpUrl(string app, string name) => $"rtmp://127.0.0.1:{RtmpEndPoint.Port}/{app}/{name}";

    /// <summary>Every line the gateway wrote to its console so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// Starts the gateway on loopback (HTTP on <paramref name="httpPort"/>, 0 for any free one; RTMP on a free
    /// port), passthrough only, and waits until both listen.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(int httpPort = 0, params string[] extraArgs)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "RtmpGateway.Server.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the test project references the server project, whose build lands there");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])[dll, "--urls", $"http://127.0.0.1:{httpPort}", "--Rtmp:Port", "0", "--Rtmp:BindAddress", "127.0.0.1", "--Transcoding:Preset", "passthrough", .. extraArgs])
        {
            psi.ArgumentList.Add(a);
        }

        // Plain lines: no terminal colours to parse around.
        psi.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "false";
        var process = new Process { StartInfo = psi };
        var gateway = new GatewayProcess(process);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string rtmp = await gateway.WaitForLineAsync(l => RtmpListening().IsMatch(l), TimeSpan.FromSeconds(30));
            gateway.RtmpEndPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(RtmpListening().Match(rtmp).Groups[1].Value, CultureInfo.InvariantCulture));
            string http = await gateway.WaitForLineAsync(l => HttpListening().IsMatch(l), TimeSpan.FromSeconds(30));
            gateway.HttpBase = new Uri(HttpListening().Match(http).Groups[1].Value);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a POSIX signal to the gateway's process alone.</summary>
    public Task SignalAsync(string signal) => ToolProcess.Signal(_process.Id, signal);

    /// <summary>The exit code, once the process has exited within <paramref name="timeout"/> (else the test fails, and the process is killed on dispose).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"the gateway did not exit within {timeout}; its log:\n{string.Join('\n', Lines)}");
        }

        await _outputDone.Task.WaitAsync(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout)
    {
        string? line = null;
        await Poll.UntilAsync(
            () => (line = Lines.FirstOrDefault(predicate)) is not null || _process.HasExited,
            timeout,
            () => "no matching gateway log line; its log:\n" + string.Join('\n', Lines));
        return line ?? throw new Xunit.Sdk.XunitException($"the gateway exited (code {_process.ExitCode}) without a matching log line; its log:\n{string.Join('\n', Lines)}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            _outputDone.TrySetResult();
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
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

    [GeneratedRegex(@"RTMP listening on [0-9.]+:(\d+)")]
    private static partial Regex RtmpListening();

    [GeneratedRegex(@"Now listening on: (http://[0-9.]+:\d+)")]
    private static partial Regex HttpListening();
}
