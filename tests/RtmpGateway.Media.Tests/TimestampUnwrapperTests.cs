namespace RtmpGateway.Media.Tests;

public class TimestampUnwrapperTests
{
    [Fact]
    public void Unwrap_PlainMonotonic_ReturnsInput()
    {
        var u = new TimestampUnwrapper();

        Assert.Equal(0, u.Unwrap(0));
        Assert.Equal(33, u.Unwrap(33));
        Assert.Equal(1_000_000, u.Unwrap(1_000_000));
    }

    [Fact]
    public void Unwrap_FirstValueLarge_KeptAsIs()
    {
        var u = new TimestampUnwrapper();

        Assert.Equal(4_000_000_000L, u.Unwrap(4_000_000_000));
        Assert.Equal(4_000_000_033L, u.Unwrap(4_000_000_033));
    }

    [Fact]
    public void Unwrap_Across2Pow32_ContinuesForward()
    {
        var u = new TimestampUnwrapper();
        u.Unwrap(0xFFFF_FF00);

        Assert.Equal(0xFFFF_FFF0L, u.Unwrap(0xFFFF_FFF0));
        Assert.Equal((1L << 32) + 0x10, u.Unwrap(0x10));
        Assert.Equal((1L << 32) + 0x30, u.Unwrap(0x30));
    }

    [Fact]
    public void Unwrap_TwoFullWraps_AddsTwice()
    {
        var u = new TimestampUnwrapper();
        uint t = 0;
        long expected = 0;
        u.Unwrap(t);
        for (int i = 0; i < 1000; i++)
        {
            // Steps of 10 000 000 ms walk through 2^32 twice in ~860 steps.
            t = unchecked(t + 10_000_000);
            expected += 10_000_000;
            Assert.Equal(expected, u.Unwrap(t));
        }
    }

    [Fact]
    public void Unwrap_SmallBackwardsJitter_GoesBackwards()
    {
        var u = new TimestampUnwrapper();
        u.Unwrap(1000);

        Assert.Equal(990, u.Unwrap(990));
        Assert.Equal(1010, u.Unwrap(1010));
    }

    [Fact]
    public void Unwrap_FfmpegThirtyOneBitWrap_ContinuesForward()
    {
        // FFmpeg 5.1: ffmpeg -f lavfi -i testsrc2=rate=30 -t 4 -output_ts_offset 2147480 -c:v libx264 -f flv out.flv
        // writes video tag timestamps ..., 2147483600, 2147483633, 19, 52, 85 (the extended byte masked with 0x7F).
        var u = new TimestampUnwrapper();
        u.Unwrap(2_147_483_600);

        Assert.Equal(2_147_483_633L, u.Unwrap(2_147_483_633));
        Assert.Equal((1L << 31) + 19, u.Unwrap(19));
        Assert.Equal((1L << 31) + 52, u.Unwrap(52));
        Assert.Equal((1L << 31) + 85, u.Unwrap(85));
    }

    [Fact]
    public void Unwrap_ThirtyOneBitWrapTwice_AddsTwice()
    {
        var u = new TimestampUnwrapper();
        u.Unwrap(2_147_483_000);
        u.Unwrap(100); // first 31-bit wrap
        for (uint t = 1_000_000; t < 2_147_483_000; t += 1_000_000)
        {
            u.Unwrap(t);
        }

        u.Unwrap(2_147_483_000);
        Assert.Equal((2L << 31) + 200, u.Unwrap(200));
    }

    [Fact]
    public void Unwrap_BackwardsJumpOutsideWrapWindow_IsNotA31BitWrap()
    {
        // From well before 2^31 - 60 s, a fall to near 0 is a real step back, not a wrap.
        var u = new TimestampUnwrapper();
        u.Unwrap(2_000_000_000);

        Assert.Equal(19, u.Unwrap(19));
    }
}
