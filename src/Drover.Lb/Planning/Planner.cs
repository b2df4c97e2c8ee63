using Drover.Lb.Model;

namespace Drover.Lb.Planning;

/// <summary>One change to a running HAProxy through its runtime API.</summary>
public abstract record RuntimeOp(string Backend, string Server);

/// <summary>"add server" (HAProxy adds it in maintenance), then its state is set to the server's.</summary>
public sealed record AddServer(string Backend, LbServer Added) : RuntimeOp(Backend, Added.Name);

/// <summary>Maintenance, then "del server" (HAProxy refuses to delete a server that still has connections).</summary>
public sealed record DelServer(string Backend, string Server) : RuntimeOp(Backend, Server);

/// <summary>"set server backend/server state ready|drain|maint".</summary>
public sealed record SetServerState(string Backend, string Server, ServerState State) : RuntimeOp(Backend, Server);

/// <summary>
/// How to get from the applied state to the desired one. <see cref="NeedsReload"/>: frontends or backends changed, so
/// the config is re-rendered (with every desired server) and reloaded; no runtime ops are needed then. Otherwise
/// <see cref="Ops"/> move the servers, without a reload.
/// </summary>
public sealed record LbPlan(bool NeedsReload, IReadOnlyList<RuntimeOp> Ops)
{
    public bool IsEmpty => !NeedsReload && Ops.Count == 0;
}

public static class Planner
{
    public static LbPlan Plan(LbConfig current, LbConfig desired)
    {
        if (!current.SameShape(desired)) return new LbPlan(true, []);
        // HAProxy 2.6 does not take 'cookie' on a server added at runtime: a sticky backend's new servers need a reload.
        if (desired.Backends.Any(b => b.Sticky && b.Servers.Any(s => current.Backend(b.Name)!.Servers.All(o => o.Name != s.Name || o.Address != s.Address || o.Port != s.Port))))
            return new LbPlan(true, []);
        // Ordered so that capacity never drops on the way (each op is its own runtime command, and requests arrive
        // between them): new servers come in and go ready first, then servers that moved are replaced, then old ones
        // drain, and only then are the gone ones deleted. Removals first (the old order) left a moment with no ready
        // server when one plan carried both sides of a rolling step: HAProxy answered 503 (ZeroFailedRequestsTests, CI).
        var (adds, moves, retires, removals) = (new List<RuntimeOp>(), new List<RuntimeOp>(), new List<RuntimeOp>(), new List<RuntimeOp>());
        foreach (var want in desired.Backends)
        {
            var have = current.Backend(want.Name)!.Servers.ToDictionary(s => s.Name);
            var wanted = want.Servers.Select(s => s.Name).ToHashSet();
            foreach (var gone in have.Values.Where(s => !wanted.Contains(s.Name)))
                removals.Add(new DelServer(want.Name, gone.Name));
            foreach (var s in want.Servers)
            {
                if (!have.TryGetValue(s.Name, out var old)) adds.Add(new AddServer(want.Name, s));
                else if (old.Address != s.Address || old.Port != s.Port)
                {
                    // HAProxy names a server once per backend: the old one goes before the new one of the same name comes.
                    moves.Add(new DelServer(want.Name, s.Name));
                    moves.Add(new AddServer(want.Name, s));
                }
                else if (old.State != s.State) (s.State == ServerState.Ready ? adds : retires).Add(new SetServerState(want.Name, s.Name, s.State));
            }
        }
        List<RuntimeOp> ops = [.. adds, .. moves, .. retires, .. removals];
        return new LbPlan(false, ops);
    }
}
