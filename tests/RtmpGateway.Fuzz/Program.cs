using System.Diagnostics;
using RtmpGateway.Fuzz;
using SharpFuzz;

// RtmpGateway.Fuzz TARGET              under afl-fuzz: the SharpFuzz fork server, input on stdin
// RtmpGateway.Fuzz TARGET PATH...      replay files (or every file of a folder), print each outcome
// RtmpGateway.Fuzz list                the targets
if (args.Length == 0 || args[0] is "list" or "-h" or "--help")
{
    Console.WriteLine("usage: RtmpGateway.Fuzz TARGET [FILE|DIR ...]");
    foreach (FuzzTarget t in FuzzTargets.All)
    {
        Console.WriteLine($"  {t.Name,-10} {t.Description}");
    }

    return args.Length == 0 ? 2 : 0;
}

FuzzTarget? target = FuzzTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}'; try 'list'");
    return 2;
}

if (args.Length == 1)
{
    // The child process SharpFuzz starts survives neither a stack overflow nor a timeout kill; the
    // out-of-process server restarts it, so afl-fuzz records those as crashes and hangs and goes on.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        target.Run(buffer.ToArray());
    });
    return 0;
}

int failures = 0;
foreach (string file in args.Skip(1).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]))
{
    byte[] input = File.ReadAllBytes(file);
    var clock = Stopwatch.StartNew();
    try
    {
        FuzzOutcome outcome = target.Run(input);
        Console.WriteLine($"{Path.GetFileName(file)} ({input.Length} B, {clock.ElapsedMilliseconds} ms) {outcome}");
    }
#pragma warning disable CA1031 // Replay reports every exception the fuzzer would count as a crash.
    catch (Exception ex)
#pragma warning restore CA1031
    {
        failures++;
        Console.WriteLine($"{Path.GetFileName(file)} ({input.Length} B) CRASH {ex}");
    }
}

return failures == 0 ? 0 : 1;
