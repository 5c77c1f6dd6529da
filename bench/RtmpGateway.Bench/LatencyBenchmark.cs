using System.Globalization;
using RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The latency a viewer gets: wall clock now minus the program date-time of the frame on screen
/// (hls.js playingDate, dash.js timeAsUTC), sampled every 0.5 s for the given time, for LL-HLS in
/// hls.js, low-latency DASH in dash.js and classic HLS in hls.js, through passthrough and through the
/// ladder. The publisher is ffmpeg sending a pre-encoded 720p30 file (GOP 1 s, x264 zerolatency) in
/// real time, so that encoding does not compete with the gateway for the 2 cores; each row gets a
/// fresh publish of a file long enough not to loop (a loop point is a timestamp discontinuity that
/// players answer by jumping back to a safe distance, which would be measured instead).
/// </summary>
internal static class LatencyBenchmark
{
    private static readonly (string Label, string Query)[] Players =
    [
        ("LL-HLS, hls.js lowLatencyMode", "tech=hls&ll=1"),
        ("low-latency DASH, dash.js", "tech=dash&ll=1"),
        ("classic HLS, hls.js", "tech=hls&ll=0"),
        ("DASH without low latency, dash.js", "tech=dash&ll=0"),
    ];

    public static async Task RunAsync(int seconds, string videoBitrate = "3M")
    {
        string dir = Directory.CreateTempSubdirectory("rtmpgw-latency-").FullName;
        try
        {
            string source = Path.Combine(dir, "720p-ll.flv");
            await using (ToolProcess make = await ToolProcess.RunAsync(
                TimeSpan.FromMinutes(5), "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                "-t", (seconds + 20).ToString(CultureInfo.InvariantCulture), "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                "-g", "30", "-keyint_min", "30", "-b:v", videoBitrate, "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", source).ConfigureAwait(false))
            {
                if (make.ExitCode != 0)
                {
                    throw new InvalidOperationException(make.StdErr);
                }
            }

            var rows = new List<string>();
            // BENCH_PRESETS=passthrough limits the run to some rendition sets; BENCH_TRACE=1 prints every sample.
            string[] presets = (Environment.GetEnvironmentVariable("BENCH_PRESETS") ?? "passthrough,default").Split(',', StringSplitOptions.RemoveEmptyEntries);
            bool trace = Environment.GetEnvironmentVariable("BENCH_TRACE") == "1";
            string? playerFilter = Environment.GetEnvironmentVariable("BENCH_PLAYERS");
            foreach (string preset in presets)
            {
                await using GatewayInstance gateway = await GatewayInstance.StartAsync("--Transcoding:Preset", preset).ConfigureAwait(false);
                await using Browser browser = await Browser.LaunchAsync().ConfigureAwait(false);
                int row = 0;
                foreach ((string label, string query) in Players)
                {
                    if (playerFilter is not null && !query.Contains(playerFilter, StringComparison.Ordinal))
                    {
                        continue;
                    }

                    string name = "bench" + (++row).ToString(CultureInfo.InvariantCulture);
                    await using ToolProcess publisher = ToolProcess.Start("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-re", "-i", source, "-c", "copy", "-f", "flv", gateway.RtmpUrl("live", name));
                    await gateway.WaitForStreamAsync("live", name, TimeSpan.FromSeconds(20)).ConfigureAwait(false);

                    // Viewers join a running stream: let it run (and the ladder settle) first.
                    await Task.Delay(TimeSpan.FromSeconds(8)).ConfigureAwait(false);
                    BrowserPage page = await browser.OpenAsync(new Uri(gateway.HttpBase, $"/?stream={name}&" + query), "latency").ConfigureAwait(false);
                    await page.WaitForAsync(PlayerPageProbe.StartedOrFailed, TimeSpan.FromSeconds(45), PlayerPageProbe.State).ConfigureAwait(false);
                    await page.EvaluateAsync<bool>(PlayerPageProbe.TrackStalls).ConfigureAwait(false);
                    double startTime = await page.EvaluateAsync<double>("video.currentTime").ConfigureAwait(false);
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    var samples = new List<double>();
                    for (int i = 0; i < seconds * 2; i++)
                    {
                        await Task.Delay(500).ConfigureAwait(false);
                        double? l = await page.EvaluateAsync<double?>("gatewayPlayer.playingDate() ? (Date.now() - gatewayPlayer.playingDate().getTime()) / 1000 : null").ConfigureAwait(false);
                        if (l is { } value)
                        {
                            samples.Add(value);
                            if (trace)
                            {
                                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {preset} {label} t={(i + 1) * 0.5:F1}s latency={value:F2}"));
                            }
                        }
                    }

                    string? error = await page.EvaluateAsync<string?>("gatewayPlayer.error").ConfigureAwait(false);
                    double[] stalls = await page.EvaluateAsync<double[]>(PlayerPageProbe.Stalls).ConfigureAwait(false);
                    double played = await page.EvaluateAsync<double>("video.currentTime").ConfigureAwait(false) - startTime;
                    watch.Stop();
                    await page.Page.CloseAsync().ConfigureAwait(false);
                    samples.Sort();
                    // How smoothly it played, next to how far behind: stalls and media time played in the window.
                    string smoothness = string.Create(CultureInfo.InvariantCulture, $"{stalls.Length} stalls ({stalls.Sum() / 1000:F1} s), played {played:F1} s in {watch.Elapsed.TotalSeconds:F1} s");
                    rows.Add(samples.Count == 0
                        ? $"| {preset} | {label} | - | - | {error ?? "no samples"} |"
                        : string.Create(CultureInfo.InvariantCulture, $"| {preset} | {label} | {samples[samples.Count / 2]:F2} | {samples[Math.Min(samples.Count - 1, (int)(samples.Count * 0.95))]:F2} | {samples.Count} samples, {smoothness}{(error is null ? "" : ", error: " + error)} |"));
                    Console.WriteLine(rows[^1]);
                }
            }

            Console.WriteLine();
            Console.WriteLine($"Latency (s), wall clock minus program date-time of the frame on screen, {seconds} s per row ({Environment.ProcessorCount} cores)");
            Console.WriteLine();
            Console.WriteLine("| rendition set | player | median | p95 | |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (string row in rows)
            {
                Console.WriteLine(row);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
