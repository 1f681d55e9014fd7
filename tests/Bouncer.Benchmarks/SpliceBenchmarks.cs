using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Bouncer.Engine;

namespace Bouncer.Benchmarks;

/// <summary>
/// The TCP splice of a running engine on loopback, with the memory diagnoser: the proof that the
/// steady-state data path allocates nothing per operation. One session is set up once (client →
/// engine → target); each operation then pushes <see cref="BulkBytes"/> through it, or makes one
/// 64-byte round trip. The diagnoser reads the process-wide allocation counter, so the engine's
/// threads count, and so does this harness, which therefore uses only synchronous socket calls on
/// preallocated buffers (no allocation of its own).
/// </summary>
[MemoryDiagnoser]
public class SpliceBenchmarks
{
    /// <summary>Bytes per bulk operation: 16 MiB, 256 of the splice's 64 KiB segments.</summary>
    public const int BulkBytes = 16 * 1024 * 1024;

    private const int ChunkBytes = 64 * 1024;
    private const int RoundTripBytes = 64;

    private readonly byte[] _chunk = new byte[ChunkBytes];
    private readonly byte[] _small = new byte[RoundTripBytes];
    private readonly byte[] _reply = new byte[RoundTripBytes];
    private Socket? _listener;
    private Socket? _client;
    private Socket? _target;
    private BouncerEngine? _engine;
    private Thread? _targetThread;
    private volatile bool _echo;
    private long _received;

    [GlobalSetup]
    public void Setup()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        var targetPort = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        var listenPort = BenchmarkEngine.FreePort();

        _engine = BenchmarkEngine.Start(listenPort, targetPort);

        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(new IPEndPoint(IPAddress.Loopback, listenPort));
        _target = _listener.Accept();
        _target.NoDelay = true;
        _targetThread = new Thread(TargetLoop) { IsBackground = true, Name = "splice benchmark target" };
        _targetThread.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.Dispose();
        if (_engine is not null)
        {
            BenchmarkEngine.Stop(_engine);
        }

        _target?.Dispose();
        _listener?.Dispose();
        _targetThread?.Join(TimeSpan.FromSeconds(5));
    }

    /// <summary>Client → engine → target, 16 MiB, until the target has read every byte.</summary>
    [Benchmark]
    public long Bulk16MiB()
    {
        _echo = false;
        var expected = Interlocked.Read(ref _received) + BulkBytes;
        for (var sent = 0; sent < BulkBytes; sent += ChunkBytes)
        {
            _client!.Send(_chunk);
        }

        // Bounded: the target thread reads continuously; 30 s is far beyond any loopback stream.
        var deadline = Environment.TickCount64 + 30_000;
        var spinner = default(SpinWait);
        while (Interlocked.Read(ref _received) < expected)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("the target did not receive the stream");
            }

            spinner.SpinOnce();
        }

        return expected;
    }

    /// <summary>64 bytes client → target and back through both directions of the splice.</summary>
    [Benchmark]
    public int RoundTrip64B()
    {
        _echo = true;
        _client!.Send(_small);
        var got = 0;
        while (got < RoundTripBytes)
        {
            var read = _client.Receive(_reply, got, RoundTripBytes - got, SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException("the session closed");
            }

            got += read;
        }

        return got;
    }

    /// <summary>Reads until the session closes; counts bytes, and echoes them while <see cref="_echo"/> is set.</summary>
    private void TargetLoop()
    {
        var buffer = new byte[ChunkBytes];
        try
        {
            while (true)
            {
                var read = _target!.Receive(buffer);
                if (read == 0)
                {
                    return;
                }

                if (_echo)
                {
                    _target.Send(buffer, 0, read, SocketFlags.None);
                }

                Interlocked.Add(ref _received, read);
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Closed by Cleanup.
        }
    }
}
