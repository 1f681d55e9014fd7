using System.Runtime.InteropServices;

namespace Bouncer.Engine.Net;

/// <summary>
/// A socket's descriptor for one system call made by hand, kept from being closed and reused
/// while the call runs on it (as <see cref="System.Net.Sockets.Socket"/> does for its own calls).
/// Throws <see cref="ObjectDisposedException"/> once the handle is closed.
/// </summary>
internal ref struct DescriptorLease
{
    private readonly SafeHandle _handle;
    private readonly bool _added;

    public DescriptorLease(SafeHandle handle)
    {
        _handle = handle;
        handle.DangerousAddRef(ref _added);
        Value = (int)handle.DangerousGetHandle();
    }

    public int Value { get; }

    public void Dispose()
    {
        if (_added)
        {
            _handle.DangerousRelease();
        }
    }
}
