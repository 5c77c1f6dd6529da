using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace RtmpGateway.Fuzz.Tests;

/// <summary>
/// Replays the fuzzers' seed corpus and every committed crasher through the very targets afl-fuzz
/// runs (tests/RtmpGateway.Fuzz/fuzz.sh). An input passes when the target returns: the parsers
/// accepted it or refused it with their documented exception, no invariant broke, within the time
/// bound. Anything else is the bug afl-fuzz once reported, back again.
/// </summary>
public sealed class ReplayTests
{
    /// <summary>
    /// Far above any input's cost (the slowest seed takes milliseconds once JIT-compiled), low
    /// enough that a hang fails the test instead of stalling the suite.
    /// </summary>
    private static readonly TimeSpan PerInputBound = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    private static string[] Files(string folder, string target)
    {
        string path = Path.Combine(AppContext.BaseDirectory, folder, target);
        return Directory.Exists(path)
            ? [.. Directory.GetFiles(path).Where(IsInput).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>Everything but .gitkeep and notes.</summary>
    private static bool IsInput(string file) =>
        !Path.GetFileName(file).StartsWith('.') && !file.EndsWith(".md", StringComparison.OrdinalIgnoreCase);

    private static FuzzOutcome RunBounded(FuzzTarget target, string file)
    {
        byte[] input = File.ReadAllBytes(file);
        Task<FuzzOutcome> run = Task.Run(() => target.Run(input));
        if (!run.Wait(PerInputBound))
        {
            Assert.Fail($"{target.Name}: {Path.GetFileName(file)} still running after {PerInputBound.TotalSeconds} s");
        }

        return run.Result;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_EverySeed_IsAcceptedWithinBound(string name)
    {
        FuzzTarget target = FuzzTargets.Find(name)!;
        string[] seeds = Files("corpus", name);

        Assert.NotEmpty(seeds);
        foreach (string seed in seeds)
        {
            // Seeds are real streams and records: a parser that starts refusing one has regressed.
            FuzzOutcome outcome = RunBounded(target, seed);
            Assert.True(outcome.Accepted, $"{name}: {Path.GetFileName(seed)} {outcome}");
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Crashers_Every_OnlyDocumentedOutcomeWithinBound(string name)
    {
        FuzzTarget target = FuzzTargets.Find(name)!;
        var failures = new List<string>();
        foreach (string crasher in Files("crashers", name))
        {
            try
            {
                RunBounded(target, crasher);
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                failures.Add($"{Path.GetFileName(crasher)}: {ex.InnerExceptions[0]}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Crashers_FolderPerTarget_Exists()
    {
        foreach (FuzzTarget target in FuzzTargets.All)
        {
            Assert.True(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "crashers", target.Name)), target.Name);
        }
    }

    [Fact]
    public void FuzzScript_TargetList_NamesEveryTarget()
    {
        string script = File.ReadAllText(Path.Combine(SourceFolder(), "..", "RtmpGateway.Fuzz", "fuzz.sh"));

        string listed = Regex.Match(script, "^targets=\"([^\"]*)\"", RegexOptions.Multiline).Groups[1].Value;
        Assert.Equal(FuzzTargets.All.Select(t => t.Name), listed.Split(' '));
    }

    private static string SourceFolder([CallerFilePath] string source = "") => Path.GetDirectoryName(source)!;
}
