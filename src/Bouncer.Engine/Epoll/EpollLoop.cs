using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Engine.Epoll;

/// <summary>
/// One thread waiting on one edge-triggered epoll set, and the table of the sockets registered on
/// it. Continuations of socket waits run on this thread, so a session whose two sockets share a
/// loop moves its data without waking another thread.
/// </summary>
/// <remarks>
/// Events carry a slot index and a generation, not an object reference: a socket's slot is freed
/// when it closes, while an event for it may already be in the batch being dispatched; the
/// generation tells such an event from one for the next socket in that slot.
/// </remarks>
internal sealed unsafe class EpollLoop : IDisposable
{
    private const int BatchSize = 256;
    private const ulong WakeData = ulong.MaxValue;
    private const uint StreamInterest = EpollCalls.In | EpollCalls.Out | EpollCalls.ReadHangUp | EpollCalls.EdgeTriggered;

    // Every loop has a listener in its set; a new connection wakes one of them, not all.
    private const uint ListenerInterest = EpollCalls.In | EpollCalls.Exclusive | EpollCalls.EdgeTriggered;

    // Errors are reported whether asked for or not; a datagram socket's sends never wait here.
    private const uint DatagramInterest = EpollCalls.In | EpollCalls.EdgeTriggered;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly Action<Exception> _onFault;
    private readonly object _gate = new();
    private readonly Stack<int> _freeSlots = new();
    private EpollRegistration?[] _slots = new EpollRegistration?[64];
    private int _usedSlots;
    private uint _generation;
    private volatile bool _stopping;

    /// <param name="onFault">Told of an exception a continuation let escape (a bug); the loop goes on.</param>
    public EpollLoop(string name, Action<Exception> onFault)
    {
        _onFault = onFault;
        _epoll = EpollCalls.CreateEpoll();
        _wake = EpollCalls.CreateEventFd();
        var failed = EpollCalls.Add(_epoll, _wake, EpollCalls.In | EpollCalls.EdgeTriggered, WakeData);
        if (failed != 0)
        {
            EpollCalls.CloseDescriptor(_wake);
            EpollCalls.CloseDescriptor(_epoll);
            throw new SocketException((int)Net.LinuxErrors.ToSocketError(failed));
        }

        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Sockets registered and not yet released.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _usedSlots - _freeSlots.Count;
            }
        }
    }

    /// <summary>Adds a connected (or connecting) socket for readable and writable edges.</summary>
    /// <param name="awaitingConnect">The socket's connect is under way: its first writable edge says the connect ended.</param>
    public EpollRegistration Register(SafeHandle socket, bool awaitingConnect) => Register(socket, awaitingConnect, StreamInterest);

    /// <summary>Adds a listening socket that other loops wait on too: a connection wakes one of them.</summary>
    public EpollRegistration RegisterListener(SafeHandle listener) => Register(listener, awaitingConnect: false, ListenerInterest);

    /// <summary>Adds a datagram socket for readable edges; an error is one too (the next receive reports it).</summary>
    public EpollRegistration RegisterDatagram(Socket socket) => Register(socket.SafeHandle, awaitingConnect: false, DatagramInterest);

    private EpollRegistration Register(SafeHandle socket, bool awaitingConnect, uint interest)
    {
        EpollRegistration registration;
        lock (_gate)
        {
            var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _usedSlots++;
            if (slot == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
            }

            registration = new EpollRegistration(this, slot, ++_generation, awaitingConnect, datagram: interest == DatagramInterest);
            Volatile.Write(ref _slots[slot], registration);
        }

        var failed = Add(socket, registration, interest);
        if (failed != 0)
        {
            Release(registration);
            throw new SocketException((int)Net.LinuxErrors.ToSocketError(failed));
        }

        return registration;
    }

    /// <summary>Frees the socket's slot. The socket leaves the epoll set by itself when it is closed.</summary>
    public void Release(EpollRegistration registration)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_slots[registration.Slot], registration))
            {
                Volatile.Write(ref _slots[registration.Slot], null);
                _freeSlots.Push(registration.Slot);
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        EpollCalls.Signal(_wake);
        _thread.Join();
        EpollCalls.CloseDescriptor(_wake);
        EpollCalls.CloseDescriptor(_epoll);
    }

    private int Add(SafeHandle socket, EpollRegistration registration, uint interest) =>
        EpollCalls.Add(_epoll, socket, interest, ((ulong)registration.Generation << 32) | (uint)registration.Slot);

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * EpollCalls.EventSize));
        try
        {
            while (true)
            {
                var count = EpollCalls.Wait(_epoll, events, BatchSize);
                if (count < 0)
                {
                    if (-count == EpollCalls.ErrnoInterrupted)
                    {
                        continue;
                    }

                    _onFault(new SocketException((int)Net.LinuxErrors.ToSocketError(-count)));
                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    var data = EpollCalls.DataAt(events, i);
                    if (data == WakeData)
                    {
                        EpollCalls.Drain(_wake);
                        continue;
                    }

                    Dispatch(data, EpollCalls.EventsAt(events, i));
                }

                if (_stopping)
                {
                    return;
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private void Dispatch(ulong data, uint events)
    {
        var slots = Volatile.Read(ref _slots);
        var slot = (int)(uint)data;
        var registration = slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
        if (registration is null || registration.Generation != (uint)(data >> 32))
        {
            return; // The socket closed after the event was queued.
        }

        try
        {
            registration.OnEvents(events);
        }
#pragma warning disable CA1031 // A continuation's escaped exception must not stop every other socket on this loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _onFault(exception);
        }
    }
}
