using Bouncer.Engine.Tests.Support;
using Bouncer.Engine.Udp;

namespace Bouncer.Engine.Tests.Udp;

public sealed class DatagramSegmentationTests
{
    private const int ErrnoIo = 5;
    private const int ErrnoMessageSize = 90;

    private static readonly bool Kernel = DatagramBatch.SegmentationSupported;

    [LinuxFact]
    public void A_run_too_large_for_the_path_stops_runs_that_large_and_a_later_larger_refusal_does_not_raise_the_limit()
    {
        var said = new List<string>();
        var segmentation = new DatagramSegmentation(enabled: true, said.Add);
        Assert.Equal(Kernel, segmentation.Allows(9000));

        segmentation.Refused(ErrnoMessageSize, 1400);
        segmentation.Refused(ErrnoMessageSize, 9000);

        Assert.Equal(Kernel, segmentation.Enabled);
        Assert.Equal(Kernel, segmentation.Allows(1399));
        Assert.False(segmentation.Allows(1400));
        Assert.False(segmentation.Allows(9000));
        Assert.Equal("udp: the kernel refused to send a run of 1400-byte datagrams as one (segmentation offload): they are larger than the path's MTU; datagrams this large are now sent one by one, none was lost", Assert.Single(said));
    }

    [LinuxFact]
    public void A_device_without_checksum_offload_stops_every_run_and_no_later_refusal_starts_them_again()
    {
        var said = new List<string>();
        var segmentation = new DatagramSegmentation(enabled: true, said.Add);

        segmentation.Refused(ErrnoIo, 512);
        segmentation.Refused(ErrnoMessageSize, 9000);

        Assert.False(segmentation.Enabled);
        Assert.False(segmentation.Allows(1));
        Assert.Contains("errno 5", Assert.Single(said), StringComparison.Ordinal);
    }

    [LinuxFact]
    public void Turned_off_it_allows_no_run()
    {
        var segmentation = new DatagramSegmentation(enabled: false, _ => { });

        Assert.False(segmentation.Enabled);
        Assert.False(segmentation.Allows(1));
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(22, true)]
    [InlineData(90, true)]
    [InlineData(11, false)]
    [InlineData(111, false)]
    public void Only_the_errors_of_a_run_as_such_are_refusals(int errno, bool refusal) =>
        Assert.Equal(refusal, DatagramSegmentation.IsRefusal(errno));
}
