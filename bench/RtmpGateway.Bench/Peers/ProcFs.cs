using System.Globalization;

namespace RtmpGateway.Bench.Peers;

/// <summary>One line of /proc/PID/stat, the fields the bench reads (proc(5)).</summary>
/// <param name="CpuTicks">
/// utime + stime + cutime + cstime: the process's own CPU time plus that of its children it has
/// already waited for, so that a per-stream ffmpeg that Node-Media-Server started and reaped
/// still counts (in its parent) after it is gone.
/// </param>
/// <param name="StartTicks">starttime: with the PID, identifies the process across reads (PIDs are reused).</param>
internal readonly record struct ProcStat(int Pid, int ParentPid, long CpuTicks, long StartTicks, long RssPages);

/// <summary>Reads processes from /proc: the whole tree under a server's PID, its CPU time and memory.</summary>
internal static class ProcFs
{
    /// <summary>USER_HZ, the unit of the stat times; 100 on every Linux ABI, read anyway.</summary>
    public static long ClockTicksPerSecond { get; } = ReadClockTicks();

    /// <summary>Every process now, by PID.</summary>
    public static Dictionary<int, ProcStat> ReadAll()
    {
        var all = new Dictionary<int, ProcStat>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && TryRead(pid) is { } stat)
            {
                all[pid] = stat;
            }
        }

        return all;
    }

    /// <summary>A process's stat line; null when it has gone.</summary>
    public static ProcStat? TryRead(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
        // f[0] is field 3 (state); field n of proc(5) is f[n - 3].
        string[] f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int n) => long.Parse(f[n - 3], CultureInfo.InvariantCulture);
        return new ProcStat(pid, (int)Field(4), Field(14) + Field(15) + Field(16) + Field(17), Field(22), Field(24));
    }

    /// <summary>The root and all its descendants (by parent PID), root first.</summary>
    public static List<ProcStat> Tree(int rootPid, Dictionary<int, ProcStat> all)
    {
        var tree = new List<ProcStat>();
        if (!all.TryGetValue(rootPid, out ProcStat root))
        {
            return tree;
        }

        ILookup<int, ProcStat> children = all.Values.ToLookup(p => p.ParentPid);
        tree.Add(root);
        for (int i = 0; i < tree.Count; i++)
        {
            tree.AddRange(children[tree[i].Pid]);
        }

        return tree;
    }

    /// <summary>
    /// Proportional set size (kB): resident pages, each shared page divided among the processes
    /// mapping it, so a tree of processes sharing libraries is not counted once per process.
    /// </summary>
    public static long PssKiB(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone between the listing and this read.
        }

        return 0;
    }

    private static long ReadClockTicks()
    {
        using var getconf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
        string text = getconf.StandardOutput.ReadToEnd();
        getconf.WaitForExit();
        return long.TryParse(text.Trim(), CultureInfo.InvariantCulture, out long hz) && hz > 0 ? hz : 100;
    }
}
