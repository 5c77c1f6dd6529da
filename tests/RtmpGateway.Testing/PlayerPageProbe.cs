namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>What the browser tests read from the gateway's player page (its window.gatewayPlayer API).</summary>
public static class PlayerPageProbe
{
    /// <summary>The page state a failure message shows (a JavaScript expression).</summary>
    public const string State = """
        ({ tech: gatewayPlayer.tech, engine: gatewayPlayer.engine, error: gatewayPlayer.error,
           levels: gatewayPlayer.levels.map(l => l.label), currentTime: video.currentTime,
           readyState: video.readyState, paused: video.paused, size: `${video.videoWidth}x${video.videoHeight}`,
           videoError: video.error && video.error.message, frames: video.getVideoPlaybackQuality().totalVideoFrames,
           stalls: window.__stalls, status: document.getElementById('status').textContent })
        """;

    /// <summary>Starts counting stalls, each 'waiting' until the next 'playing' (an expression that returns true).</summary>
    public const string TrackStalls = """
        (() => {
          window.__stalls = []; window.__waitingSince = null;
          video.addEventListener('waiting', () => { window.__waitingSince = performance.now(); });
          video.addEventListener('playing', () => {
            if (window.__waitingSince !== null) { window.__stalls.push(performance.now() - window.__waitingSince); window.__waitingSince = null; }
          });
          return true;
        })()
        """;

    /// <summary>The stalls since <see cref="TrackStalls"/> in milliseconds, one still going on included (an expression).</summary>
    public const string Stalls = "window.__stalls.concat(window.__waitingSince === null ? [] : [performance.now() - window.__waitingSince])";

    /// <summary>True once a frame is on screen and the clock runs (or the player failed).</summary>
    public const string StartedOrFailed = "gatewayPlayer.error !== null || (video.currentTime > 0 && video.videoWidth > 0)";

    /// <summary>Fails the test, with a screenshot and the page state, if the player reported a fatal error.</summary>
    public static async Task AssertNoErrorAsync(BrowserPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        if (await page.EvaluateAsync<string?>("gatewayPlayer.error") is { } error)
        {
            await page.FailAsync($"the player reported a fatal error: {error}", State);
        }
    }
}
