using Bouncer.Cli.Status;

namespace Bouncer.Cli.Tests.Status;

public sealed class PooledBodyTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(300_000)]
    public async Task GivesBackExactlyWhatWasWrittenInOrderAcrossChunks(int size)
    {
        var bytes = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();
        using var body = new PooledBody();

        // In uneven pieces, as a serializer writes.
        for (var offset = 0; offset < size;)
        {
            var piece = Math.Min(size - offset, 1 + (offset % 9_999));
            await body.WriteAsync(bytes.AsMemory(offset, piece));
            offset += piece;
        }

        Assert.Equal(size, body.Length);
        Assert.Equal(bytes, body.Chunks.SelectMany(c => c.ToArray()).ToArray());
        Assert.All(body.Chunks, c => Assert.True(c.Length <= 65_536));
    }
}
