using Drover.Api.Security;

namespace Drover.Api.Client;

public sealed partial class DroverClient
{
    /// <summary>
    /// A client for one or several servers that follows the leader (<see cref="ServerList"/>) and checks https:// servers
    /// as <paramref name="trust"/> says (default: the system's CA bundle). <paramref name="token"/> goes out as a bearer token.
    /// </summary>
    public static DroverClient Connect(IReadOnlyList<Uri> servers, string? token, ServerTrust? trust, out ServerList serverList)
    {
        serverList = new ServerList(servers, (trust ?? ServerTrust.SystemRoots()).CreateHandler());
        return new DroverClient(serverList.Seeds[0], token, serverList);
    }

    /// <inheritdoc cref="Connect(IReadOnlyList{Uri}, string?, ServerTrust?, out ServerList)"/>
    public static DroverClient Connect(Uri server, string? token, ServerTrust? trust = null) => Connect([server], token, trust, out _);
}
