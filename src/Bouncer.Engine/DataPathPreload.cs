using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Bouncer.Engine.Tcp;
using Bouncer.Engine.Udp;

namespace Bouncer.Engine;

/// <summary>
/// Loads, before the first listener accepts, what the data path would otherwise load at its first
/// session that needs it (design §9: nothing the data path needs is loaded lazily). The
/// framework-dependent build opens an assembly from disk the first time code that uses it runs,
/// and the runtime remembers a failed load: out of descriptors, a session that first needs
/// System.IO.Pipelines cannot open it (EMFILE), and every later one fails with
/// FileNotFoundException even once descriptors are free. The native build has every assembly
/// compiled in, but it too binds the libc calls of datagram batches (recvmmsg, sendmmsg) and of
/// the epoll transport on their first call, which opens the library by name. Runs once per
/// process; it holds one socket for a moment. What it covers: after it, bulk TCP sessions, a refused connect, a UDP flow to a closed
/// port, a state dump and a reload map no further assembly into the process.
/// </summary>
internal static class DataPathPreload
{
    private static int s_done;

    public static async ValueTask RunAsync()
    {
        if (Interlocked.Exchange(ref s_done, 1) == 1)
        {
            return;
        }

        // System.IO.Pipelines and the shared memory pool: a TCP direction goes through a pipe from
        // its first read that fills the small buffer (SocketPump).
        await PushThroughPipeAsync().ConfigureAwait(false);

        // System.Net.NameResolution: bounce targets given by name, srchost checks, reverse names.
        RuntimeHelpers.RunClassConstructor(typeof(Dns).TypeHandle);

        // System.Diagnostics.StackTrace and the symbol reader it loads: a socket operation that
        // fails asynchronously (a target that refuses, an ICMP error on a UDP flow) records its
        // stack trace with file names and line numbers, which loads them the first time.
        _ = new StackTrace(fNeedFileInfo: true).FrameCount;

        BindDatagramCalls();
        if (Epoll.EpollTcpTransport.IsSupported)
        {
            Epoll.EpollCalls.BindAll();
        }
    }

    /// <summary>One byte written, read and released, with the options the pumps use.</summary>
    private static async ValueTask PushThroughPipeAsync()
    {
        var pipe = new Pipe(SocketPump.BulkOptions);
        pipe.Writer.GetSpan(1)[0] = 1;
        pipe.Writer.Advance(1);
        await pipe.Writer.FlushAsync().ConfigureAwait(false);
        var read = await pipe.Reader.ReadAsync().ConfigureAwait(false);
        pipe.Reader.AdvanceTo(read.Buffer.End);
        await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        await pipe.Reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// One receive (nothing is queued on a new socket, so it returns at once) and one empty send
    /// through a batch, which binds both libc calls and fills the batch pool with one batch. The
    /// batch's first use also asks the kernel once whether it can segment (a socket for a moment).
    /// </summary>
    private static void BindDatagramCalls()
    {
        if (!DatagramBatch.IsSupported)
        {
            return;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        var batch = DatagramBatchPool.Rent();
        try
        {
            batch.Receive(socket);
            batch.Send(socket, null, 0, 0, segmentation: null);
        }
        catch (SocketException)
        {
            // The calls are bound before they run; what the kernel made of them does not matter here.
        }
        finally
        {
            DatagramBatchPool.Return(batch);
        }
    }
}
