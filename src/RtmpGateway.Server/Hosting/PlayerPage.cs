using Microsoft.Extensions.FileProviders;

namespace RtmpGateway.Server.Hosting;

/// <summary>
/// The player page at <c>/</c>: our index.html, player.js and player.css, and hls.js and dash.js as
/// installed from the npm registry by <c>npm ci</c> in <c>player/</c>. The build copies all of them into
/// the output's <c>wwwroot/</c> (see the project file); nothing is loaded from a CDN.
/// </summary>
public static class PlayerPage
{
    /// <summary>The players index.html loads; the build copies each only when npm has installed it.</summary>
    internal static readonly string[] VendorScripts = ["vendor/hls.min.js", "vendor/dash.mediaplayer.min.js"];

    /// <summary>Short, so a rebuilt page or an upgraded player reaches open browsers within a minute.</summary>
    private const string AssetCacheControl = "public, max-age=60";

    /// <summary>The notice in index.html that the page shows when the players are missing.</summary>
    private const string HiddenNotice = "id=\"notice\" class=\"notice\" hidden";
    private const string ShownNotice = "id=\"notice\" class=\"notice\"";

    /// <summary>Serves <c>/</c>, <c>/player.js</c>, <c>/player.css</c> and <c>/vendor/*</c> from the output's wwwroot.</summary>
    public static WebApplication MapPlayerPage(this WebApplication app) =>
        app.MapPlayerPage(Path.Combine(AppContext.BaseDirectory, "wwwroot"));

    /// <summary>Serves the page from <paramref name="root"/>; tests point it at a copy without the players.</summary>
    internal static WebApplication MapPlayerPage(this WebApplication app, string root)
    {
        ArgumentNullException.ThrowIfNull(app);
        IFileProvider files = Directory.Exists(root) ? new PhysicalFileProvider(root) : new NullFileProvider();
        string[] getAndHead = [HttpMethods.Get, HttpMethods.Head];

        app.MapMethods("/", getAndHead, (HttpContext context) => ServeIndex(context, files, root));
        app.MapMethods("/player.js", getAndHead, (HttpContext context) => ServeAsset(context, files, "player.js"));
        app.MapMethods("/player.css", getAndHead, (HttpContext context) => ServeAsset(context, files, "player.css"));
        app.MapMethods("/vendor/{file}", getAndHead, (HttpContext context, string file) => ServeAsset(context, files, "vendor/" + file));
        return app;
    }

    private static IResult ServeIndex(HttpContext context, IFileProvider files, string root)
    {
        IFileInfo index = files.GetFileInfo("index.html");
        if (!index.Exists || index.PhysicalPath is null)
        {
            return Results.Text($"The player page is not in {root}: build the RtmpGateway.Server project.\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        }

        context.Response.Headers.CacheControl = "no-cache";
        if (VendorScripts.All(path => files.GetFileInfo(path).Exists))
        {
            return TypedResults.PhysicalFile(index.PhysicalPath, "text/html; charset=utf-8", lastModified: index.LastModified);
        }

        // Setup has not run npm ci: the page still loads, and says so before any script runs.
        string html = File.ReadAllText(index.PhysicalPath).Replace(HiddenNotice, ShownNotice, StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private static IResult ServeAsset(HttpContext context, IFileProvider files, string path)
    {
        string? contentType = Path.GetExtension(path) switch
        {
            ".js" => "text/javascript; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            _ => null,
        };
        IFileInfo file = files.GetFileInfo(path);
        if (contentType is null || !file.Exists || file.IsDirectory || file.PhysicalPath is null)
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = AssetCacheControl;
        return TypedResults.PhysicalFile(file.PhysicalPath, contentType, lastModified: file.LastModified);
    }
}
