// The bench reads /proc and runs Debian's servers: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace RtmpGateway.Bench;

/// <summary>Where the repository's files are, found from the bench's own output folder.</summary>
internal static class BenchPaths
{
    /// <summary>The folder holding RtmpGateway.sln (the bench runs from bench/RtmpGateway.Bench/bin/...).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Generated sources, kept between runs (git-ignored).</summary>
    public static string Cache => Path.Combine(RepoRoot, "bench", ".cache");

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RtmpGateway.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"RtmpGateway.sln not found above {AppContext.BaseDirectory}");
    }
}
