using System.Diagnostics.CodeAnalysis;
using Bouncer.Engine.Events;
using Bouncer.Engine.Limits;

namespace Bouncer.Engine.Sessions;

/// <summary>
/// Whether a decided session may open: admitted with its place under the rule's limits
/// (<see cref="Lease"/>), or refused with the reason and detail its Closed event carries.
/// </summary>
internal readonly record struct AdmissionOutcome(SessionLease? Lease, EndReason Refusal, string? Detail)
{
    [MemberNotNullWhen(true, nameof(Lease))]
    public bool IsAdmitted => Lease is not null;

    public static AdmissionOutcome Admitted(SessionLease lease) => new(lease, EndReason.None, null);

    public static AdmissionOutcome Refused(EndReason reason, string? detail) => new(null, reason, detail);
}
