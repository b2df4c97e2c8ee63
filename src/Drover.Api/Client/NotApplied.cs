namespace Drover.Api.Client;

/// <summary>
/// The header a Drover server sets on an error answer that guarantees the write was not applied anywhere (no leader
/// to take it, the store's quorum lost before writing, the leader's fence refused it, a write conflict through every
/// retry, or the leader could not even be connected to): <c>X-Drover-Not-Applied: true</c>. Any other 5xx, a timeout
/// or a cut connection says nothing either way. A header rather than a body field, so Marathon- and Consul-shaped
/// bodies stay as their clients expect them.
/// </summary>
public static class NotApplied
{
    public const string Header = "X-Drover-Not-Applied";

    /// <summary>True when <paramref name="response"/> carries <see cref="Header"/>: true.</summary>
    public static bool IsMarked(HttpResponseMessage response) =>
        response.Headers.TryGetValues(Header, out var values) && values.Any(v => string.Equals(v.Trim(), "true", StringComparison.OrdinalIgnoreCase));
}
