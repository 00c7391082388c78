using System.Net;
using System.Net.Sockets;

namespace OutfitFinder.TestSupport;

/// <summary>Loopback ports nobody is listening on, so parallel tests never fight over a port.</summary>
public static class FreePorts
{
    // The kernel may hand the same ephemeral port out again as soon as the probe closes it, so two calls in a row
    // (a silo port and a gateway port) could collide: a port is never handed out twice by one process.
    private static readonly HashSet<int> HandedOut = [];

    public static int Next()
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
