namespace RtmpGateway.Fuzz;

/// <summary>What one input did: the parsers accepted it, or refused it with their documented exception.</summary>
internal readonly record struct FuzzOutcome(bool Accepted, string Detail)
{
    public static FuzzOutcome Accept(string detail) => new(true, detail);

    public static FuzzOutcome Refuse(string detail) => new(false, detail);

    public override string ToString() => (Accepted ? "accepted: " : "refused: ") + Detail;
}

/// <summary>
/// A promise of the parsers that the harness saw broken without any exception from them: a split
/// input read differently from the whole one, a parse that allocated far more than its input, a
/// track whose timestamps went backwards. Always a bug; afl-fuzz records it as a crash.
/// </summary>
internal sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException(string message)
        : base(message)
    {
    }

    public FuzzInvariantException()
    {
    }

    public FuzzInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// One fuzz target: feeds an input to a parser the way the gateway does and lets through only the
/// parser's documented failure (<c>RtmpProtocolException</c> for the RTMP layer,
/// <c>MediaFormatException</c> for the media layer). Any other exception escapes
/// <see cref="Run"/>: afl-fuzz counts it as a crash and the replay test fails on it.
/// </summary>
internal abstract class FuzzTarget
{
    /// <summary>
    /// What one input may cost in managed allocations: a fixed allowance plus a multiple of its
    /// length. Parsers grow their buffers and value lists as bytes arrive, so a few hundred bytes
    /// per input byte covers every honest parse; an allocation sized from a length or count the
    /// input declares (up to 16 MiB for an RTMP message, 4 GiB for an AMF long string) does not fit.
    /// </summary>
    public const long FixedAllocationAllowance = 1024 * 1024;

    public const long AllocationAllowancePerInputByte = 256;

    /// <summary>The name given on the command line and used for corpus/NAME and crashers/NAME.</summary>
    public abstract string Name { get; }

    public abstract string Description { get; }

    /// <summary>Runs one input; throws only for a bug (an undocumented exception or a broken invariant).</summary>
    public FuzzOutcome Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        long before = GC.GetAllocatedBytesForCurrentThread();
        FuzzOutcome outcome = RunCore(input);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long allowance = FixedAllocationAllowance + (AllocationAllowancePerInputByte * input.Length);
        if (allocated > allowance)
        {
            throw new FuzzInvariantException(
                $"{Name}: {allocated} bytes allocated for an input of {input.Length} bytes (allowance {allowance}); outcome {outcome}");
        }

        return outcome;
    }

    protected abstract FuzzOutcome RunCore(byte[] input);
}
