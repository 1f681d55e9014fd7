namespace Bouncer.Cli.Report;

/// <summary>What one client address did under one rule.</summary>
public sealed class ClientTally
{
    public ClientTally(string address)
    {
        Address = address;
    }

    public string Address { get; }

    /// <summary>Ended sessions (UDP: flows).</summary>
    public long Sessions { get; set; }

    public long Refused { get; set; }

    public long BytesFromClient { get; set; }

    public long BytesToClient { get; set; }
}
