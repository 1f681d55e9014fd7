using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Bouncer.Rules.Environment;

/// <summary>
/// Forward lookups through the C library's getaddrinfo (files, DNS, whatever nsswitch.conf says),
/// as <see cref="Dns.GetHostAddresses(string)"/> does, but answering a name that does not resolve
/// with an empty list instead of an exception: a check of a file full of unknown names spent more
/// time throwing than looking up.
/// </summary>
internal static partial class SystemHostLookup
{
    private const int AfInet = 2;
    private const int AfInet6 = 10;
    private const int SockStream = 1;

    /// <summary>The addresses of <paramref name="hostname"/>, in the resolver's order; empty when it does not resolve.</summary>
    public static unsafe IReadOnlyList<IPAddress> Resolve(string hostname)
    {
        // One entry per address: without a socket type the resolver repeats each for every type.
        var hints = new AddrInfo { Flags = 0, Family = 0, SocketType = SockStream };
        if (GetAddrInfo(hostname, null, &hints, out var list) != 0)
        {
            return [];
        }

        try
        {
            var addresses = new List<IPAddress>();
            for (var entry = list; entry != null; entry = entry->Next)
            {
                if (ToAddress(entry) is { } address && !addresses.Contains(address))
                {
                    addresses.Add(address);
                }
            }

            return addresses;
        }
        finally
        {
            FreeAddrInfo(list);
        }
    }

    private static unsafe IPAddress? ToAddress(AddrInfo* entry)
    {
        var socketAddress = (byte*)entry->Address;
        if (socketAddress == null)
        {
            return null;
        }

        // struct sockaddr_in: family (2 bytes), port (2), address (4);
        // struct sockaddr_in6: family, port, flow info (4), address (16), scope id (4).
        return entry->Family switch
        {
            AfInet when entry->AddressLength >= 8 => new IPAddress(new ReadOnlySpan<byte>(socketAddress + 4, 4)),
            AfInet6 when entry->AddressLength >= 28 => new IPAddress(new ReadOnlySpan<byte>(socketAddress + 8, 16), *(uint*)(socketAddress + 24)),
            _ => null,
        };
    }

    /// <summary>struct addrinfo as the GNU C library lays it out (ai_addr before ai_canonname).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct AddrInfo
    {
        public int Flags;
        public int Family;
        public int SocketType;
        public int Protocol;
        public uint AddressLength;
        public void* Address;
        public byte* CanonicalName;
        public AddrInfo* Next;
    }

    [LibraryImport("libc", EntryPoint = "getaddrinfo", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int GetAddrInfo(string node, string? service, AddrInfo* hints, out AddrInfo* result);

    [LibraryImport("libc", EntryPoint = "freeaddrinfo")]
    private static unsafe partial void FreeAddrInfo(AddrInfo* list);
}
