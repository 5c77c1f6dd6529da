using System.Diagnostics;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Waits for a state that the gateway reaches on its own threads (a frame count, a connection count,
/// a log line), checking it every 20 ms. A wait that times out fails the test with what it waited for.
/// </summary>
public static class Poll
{
    /// <summary>
    /// Returns once <paramref name="condition"/> holds; after <paramref name="timeout"/> fails with
    /// <paramref name="describe"/>'s text (evaluated only then, so it can carry the state at the end).
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed >= timeout)
            {
                throw new Xunit.Sdk.XunitException($"not within {timeout.TotalSeconds:0.#} s: {describe()}");
            }

            await Task.Delay(20);
        }
    }
}
