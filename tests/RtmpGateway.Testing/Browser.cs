using System.Text.Json;
using Microsoft.Playwright;

namespace RtmpGateway.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, headless, driven by Microsoft.Playwright. Playwright never downloads a browser
/// here: it launches <see cref="ExecutablePath"/> with a fresh profile that is deleted on dispose.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>
    /// Root has no sandbox; no GPU in a container; and nothing that phones home or updates itself, so a
    /// run touches loopback only. Muted autoplay is allowed anyway; the flag makes it independent of that.
    /// </summary>
    private static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    ];

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly string _userDataDir;

    private Browser(IPlaywright playwright, IBrowserContext context, string userDataDir)
    {
        _playwright = playwright;
        _context = context;
        _userDataDir = userDataDir;
    }

    /// <summary>Where failing tests leave their screenshots: TestResults/browser beside the test assembly.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "browser");

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new Xunit.Sdk.XunitException($"{ExecutablePath} is missing: run `bash .ci/setup.sh --tests` (installs Debian's chromium).");
        }

        // The driver is the node binary and playwright-core that the NuGet package copies to .playwright/
        // beside this assembly; it runs as root as is and needs no environment. Only `playwright install`
        // would download browsers, and nothing here runs it.
        IPlaywright playwright = await Playwright.CreateAsync();
        string userDataDir = Directory.CreateTempSubdirectory("rtmpgw-chromium-").FullName;
        try
        {
            IBrowserContext context = await playwright.Chromium.LaunchPersistentContextAsync(userDataDir, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Args,
                ViewportSize = new ViewportSize { Width = 1200, Height = 760 },
                Timeout = 30_000,
            });
            return new Browser(playwright, context, userDataDir);
        }
        catch
        {
            playwright.Dispose();
            Directory.Delete(userDataDir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// A new tab on <paramref name="url"/>, collecting console errors from before the first script runs;
    /// <paramref name="label"/> names its screenshots.
    /// </summary>
    public async Task<BrowserPage> OpenAsync(Uri url, string label)
    {
        IPage page = await _context.NewPageAsync();
        var browserPage = new BrowserPage(page, label);
        await page.GotoAsync(url.ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = 15_000 });
        return browserPage;
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        _playwright.Dispose();
        try
        {
            Directory.Delete(_userDataDir, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's last writes can race the delete; a stale temp profile is harmless.
        }
    }
}

/// <summary>One tab: evaluate JavaScript, wait for a condition, and fail with a screenshot and the console.</summary>
public sealed class BrowserPage
{
    private readonly List<string> _consoleErrors = [];
    private readonly string _label;

    internal BrowserPage(IPage page, string label)
    {
        Page = page;
        _label = label;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Add($"console: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => Add($"uncaught: {error}");
        page.RequestFailed += (_, request) => Add($"request failed: {request.Method} {request.Url} ({request.Failure})");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                Add($"HTTP {response.Status}: {response.Request.Method} {response.Url}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>console.error lines, uncaught exceptions, failed requests and HTTP errors, in order.</summary>
    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_consoleErrors)
            {
                return [.. _consoleErrors];
            }
        }
    }

    private void Add(string line)
    {
        lock (_consoleErrors)
        {
            _consoleErrors.Add(line);
        }
    }

    public Task<T> EvaluateAsync<T>(string expression) => Page.EvaluateAsync<T>(expression);

    /// <summary>
    /// Polls <paramref name="condition"/> (a JavaScript expression) until it is truthy. Past the timeout
    /// the test fails with <paramref name="diagnostics"/> (a JavaScript expression, shown as JSON), the
    /// console errors and a screenshot.
    /// </summary>
    public async Task WaitForAsync(string condition, TimeSpan timeout, string diagnostics = "null")
    {
        try
        {
            await Page.WaitForFunctionAsync(condition, null, new PageWaitForFunctionOptions
            {
                Timeout = (float)timeout.TotalMilliseconds,
                PollingInterval = 100,
            });
        }
        catch (TimeoutException)
        {
            await FailAsync($"`{condition}` was not true within {timeout.TotalSeconds:0.#} s", diagnostics);
        }
    }

    /// <summary>Fails the test: the reason, the page's own diagnostics, console errors, and a screenshot's path.</summary>
    public async Task FailAsync(string reason, string diagnostics = "null")
    {
        string state;
        try
        {
            state = JsonSerializer.Serialize(await Page.EvaluateAsync<JsonElement?>(diagnostics));
        }
        catch (PlaywrightException e)
        {
            state = $"(diagnostics failed: {e.Message})";
        }

        string screenshot = await ScreenshotAsync("failed");
        IReadOnlyList<string> errors = ConsoleErrors;
        throw new Xunit.Sdk.XunitException(
            $"{reason}\nPage: {Page.Url}\nState: {state}\nScreenshot: {screenshot}\n" +
            $"Console errors ({errors.Count}):\n  {string.Join("\n  ", errors)}");
    }

    /// <summary>A PNG of the viewport under <see cref="Browser.ScreenshotDirectory"/>; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string suffix)
    {
        Directory.CreateDirectory(Browser.ScreenshotDirectory);
        string path = Path.Combine(Browser.ScreenshotDirectory, $"{_label}-{suffix}-{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        return path;
    }
}
