using Drover.Api.Client;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

/// <summary>
/// Which error answers guarantee that a write was applied nowhere, marked with <see cref="NotApplied.Header"/> so a
/// client (or a Jepsen-style checker) can count them as failed rather than unknown. Only causes decided before or
/// instead of a store write qualify: no leader known or a one-hop forward that found none, the store's quorum lost
/// (refused before writing), the leader not even connectable (nothing was sent), the fence compare or a read conflict
/// through every retry (etcd evaluated the transaction and wrote nothing; the etcd client never resends a write that
/// may have landed), every etcd member refusing the connection or refusing the write before applying it. A store timeout, a connection cut mid-request, any other 5xx stay unmarked: those may have landed.
/// </summary>
public static class NotAppliedAnswer
{
    public static void Mark(HttpResponse response) => response.Headers[NotApplied.Header] = "true";

    /// <summary>True for the exceptions that prove the store wrote nothing for this request.</summary>
    public static bool Proves(Exception e) =>
        e is State.Etcd.FencedWriteException or State.ReadConflictException or State.Etcd.Client.EtcdUnavailableException { WriteNotApplied: true };
}
