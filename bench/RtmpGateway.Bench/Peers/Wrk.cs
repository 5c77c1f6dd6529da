using System.Globalization;
using System.Text.RegularExpressions;

namespace RtmpGateway.Bench.Peers;

/// <summary>One wrk run's figures; Errors counts non-2xx answers and socket errors (0 in a valid run).</summary>
internal readonly record struct WrkResult(double RequestsPerSecond, double MebibytesPerSecond, long Errors);

/// <summary>wrk (Debian's package): HTTP/1.1 keep-alive load, 2 threads and 64 connections.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(string logPath, Uri url, int seconds, CancellationToken cancellationToken)
    {
        await using BenchProcess wrk = BenchProcess.Start(
            logPath, "wrk", ["-t2", "-c64", $"-d{seconds}s", "--timeout", "5s", url.ToString()]);
        if (!await wrk.WaitForExitAsync(TimeSpan.FromSeconds(seconds + 30), cancellationToken) || wrk.ExitCode != 0)
        {
            throw new InvalidOperationException("wrk failed: " + wrk.ReadLog());
        }

        string output = wrk.ReadLog();
        Match rps = RequestsPerSecond().Match(output);
        Match transfer = TransferPerSecond().Match(output);
        if (!rps.Success || !transfer.Success)
        {
            throw new InvalidOperationException("unexpected wrk output: " + output);
        }

        long errors = 0;
        if (Non2xx().Match(output) is { Success: true } n)
        {
            errors += long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        if (SocketErrors().Match(output) is { Success: true } s)
        {
            errors += Enumerable.Range(1, 4).Sum(i => long.Parse(s.Groups[i].Value, CultureInfo.InvariantCulture));
        }

        // wrk prints binary units: "KB" is 1024 bytes.
        double bytes = double.Parse(transfer.Groups[1].Value, CultureInfo.InvariantCulture) * transfer.Groups[2].Value switch
        {
            "KB" => 1024,
            "MB" => 1024 * 1024,
            "GB" => 1024 * 1024 * 1024,
            _ => 1,
        };
        return new WrkResult(double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture), bytes / (1024 * 1024), errors);
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Transfer/sec:\s+([0-9.]+)(B|KB|MB|GB)")]
    private static partial Regex TransferPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
