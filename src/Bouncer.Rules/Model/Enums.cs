namespace Bouncer.Rules.Model;

/// <summary>What a rule does with a session it matches.</summary>
public enum Verdict
{
    Block,
    Pass,
}

/// <summary>Transport protocols a rule applies to.</summary>
[Flags]
public enum Protocols
{
    None = 0,
    Tcp = 1,
    Udp = 2,
    Both = Tcp | Udp,
}

/// <summary>One transport protocol, as a listener or a session has it.</summary>
public enum TransportProtocol
{
    Tcp,
    Udp,
}

/// <summary>The events a rule's <c>log:</c> option asks for.</summary>
[Flags]
public enum LogEvents
{
    None = 0,
    Connect = 1,
    Disconnect = 2,
    Error = 4,
    Data = 8,
    IoOperation = 16,
    TcpInfo = 32,
}

/// <summary>How the source address of the outgoing side is chosen (<c>external.rotation</c>).</summary>
public enum ExternalRotation
{
    None,
    Route,
    SameSame,
}

/// <summary>Address families taken from interfaces and hostnames.</summary>
[Flags]
public enum AddressFamilies
{
    None = 0,
    IPv4 = 1,
    IPv6 = 2,
    Both = IPv4 | IPv6,
}

/// <summary>Reverse-DNS checks applied after a pass (<c>srchost</c>).</summary>
[Flags]
public enum SourceHostChecks
{
    None = 0,
    NoDnsUnknown = 1,
    NoDnsMismatch = 2,
}

public static class ProtocolsExtensions
{
    public static bool Includes(this Protocols protocols, TransportProtocol protocol) =>
        protocol == TransportProtocol.Tcp ? (protocols & Protocols.Tcp) != 0 : (protocols & Protocols.Udp) != 0;

    public static string ToKeyword(this TransportProtocol protocol) =>
        protocol == TransportProtocol.Tcp ? "tcp" : "udp";
}
