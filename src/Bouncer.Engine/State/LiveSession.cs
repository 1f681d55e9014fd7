using System.Net;
using Bouncer.Engine.Events;
using Bouncer.Rules.Model;

namespace Bouncer.Engine.State;

/// <summary>One open TCP session or UDP flow as a state dump shows it.</summary>
public sealed record LiveSession(
    Rule Rule,
    TransportProtocol Protocol,
    IPEndPoint Client,
    IPEndPoint Local,
    IPEndPoint? Outgoing,
    IPEndPoint? Target,
    TimeSpan Age,
    TimeSpan Idle,
    TrafficCounters Counters);
