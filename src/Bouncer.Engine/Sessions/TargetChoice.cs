using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// Where an admitted session's outgoing side goes (<see cref="Target"/>) and leaves from
/// (<see cref="Source"/>, null to let the system choose); without a target, why not (<see cref="Detail"/>).
/// </summary>
internal readonly record struct TargetChoice(IPEndPoint? Target, IPAddress? Source, string? Detail)
{
    [MemberNotNullWhen(true, nameof(Target))]
    public bool Found => Target is not null;

    public static TargetChoice NotFound(string detail) => new(null, null, detail);
}
