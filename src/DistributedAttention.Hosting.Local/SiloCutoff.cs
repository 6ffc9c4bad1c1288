namespace DistributedAttention.Hosting.Local;

/// <summary>
/// Cuts one in-process silo off the way a crashed process is cut off: once <see cref="Cut"/>,
/// its DistributedAttention grains neither answer calls nor make any. <see cref="LocalCluster.KillSiloAsync"/>
/// cuts a silo before stopping it, because an in-process stop is not instant (it updates the
/// membership table on the way down, which can take seconds), and meanwhile the silo would go on
/// serving. Orleans' own grains (the localhost membership table is one) are left alone, so the
/// silo can still say it is leaving.
/// </summary>
internal sealed class SiloCutoff : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
{
    private static readonly System.Reflection.Assembly Contracts = typeof(Abstractions.IJobGrain).Assembly;
    private volatile bool cut;

    /// <summary>From now on every call to or from this silo's DistributedAttention grains fails as if the silo were gone.</summary>
    public void Cut() => cut = true;

    public Task Invoke(IIncomingGrainCallContext context) => Refused(context.InterfaceMethod) ? Task.FromException(Gone()) : context.Invoke();

    public Task Invoke(IOutgoingGrainCallContext context) => Refused(context.InterfaceMethod) ? Task.FromException(Gone()) : context.Invoke();

    private bool Refused(System.Reflection.MethodInfo method) => cut && method.DeclaringType?.Assembly == Contracts;

    private static SiloUnavailableException Gone() => new("the silo was killed.");
}
