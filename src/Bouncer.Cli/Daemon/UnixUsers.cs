using System.Runtime.InteropServices;

namespace Bouncer.Cli.Daemon;

/// <summary>
/// Looks a user name up with getpwnam_r, so <c>/etc/passwd</c>, LDAP and whatever else
/// <c>nsswitch.conf</c> names are asked exactly as <c>id NAME</c> would ask them. Linux only: the
/// <c>struct passwd</c> below is glibc's and musl's layout (BSD and macOS have more fields).
/// </summary>
internal static partial class UnixUsers
{
    private const int NoSuchEntry = 2;     // ENOENT
    private const int NoSuchProcess = 3;   // ESRCH
    private const int BadDescriptor = 9;   // EBADF
    private const int NotPermitted = 1;    // EPERM
    private const int BufferTooSmall = 34; // ERANGE
    private const int LargestBuffer = 1 << 20;

    /// <summary>The user named <paramref name="name"/>, or null when the host has none; <see cref="IOException"/> when the lookup itself fails.</summary>
    public static UnixUser? Find(string name)
    {
        for (var size = 4096; ; size *= 2)
        {
            var buffer = new byte[size];
            var error = GetPasswordEntry(name, out var entry, ref buffer[0], (nuint)buffer.Length, out var found);
            if (error == 0 && found != 0)
            {
                return new UnixUser(name, entry.UserId, entry.GroupId);
            }

            // POSIX leaves "no such user" to the implementation: 0 with no result, or one of these
            // (getpwnam_r(3)); they all mean the database answered and the name is not in it.
            if (error is 0 or NoSuchEntry or NoSuchProcess or BadDescriptor or NotPermitted)
            {
                return null;
            }

            if (error != BufferTooSmall || size >= LargestBuffer)
            {
                throw new IOException($"getpwnam_r({name}) failed: {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
    }

    /// <summary>Returns 0 or an errno value (it does not set errno); <paramref name="result"/> is non-zero when the user was found.</summary>
    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetPasswordEntry(string name, out PasswordEntry entry, ref byte buffer, nuint length, out nint result);

    /// <summary>struct passwd of glibc and musl; the strings point into the caller's buffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PasswordEntry
    {
        public nint Name;
        public nint Password;
        public uint UserId;
        public uint GroupId;
        public nint Gecos;
        public nint Directory;
        public nint Shell;
    }
}
