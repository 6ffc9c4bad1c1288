using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace DistributedAttention.Silo;

/// <summary>This host's address on its network, for a silo that is not told which one to advertise.</summary>
public static class NetworkAddress
{
    /// <summary>
    /// The first IPv4 address of an interface that is up and not loopback (a container's address
    /// on its network, a machine's LAN address), or null when there is none.
    /// </summary>
    public static IPAddress? FirstExternal()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }
}
