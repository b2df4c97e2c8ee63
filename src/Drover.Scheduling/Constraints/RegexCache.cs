using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Drover.Scheduling;

/// <summary>
/// Compiled, anchored LIKE/UNLIKE patterns shared by all callers. Marathon's patterns are Java regexes matched
/// with <c>matches()</c> (whole string), hence the <c>\A(?:…)\z</c> wrapping.
/// </summary>
internal static class RegexCache
{
    private const int MaxEntries = 4096;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    public static bool TryGet(string pattern, [NotNullWhen(true)] out Regex? regex, [NotNullWhen(false)] out string? error)
    {
        if (Cache.TryGetValue(pattern, out regex)) { error = null; return true; }
        try
        {
            regex = new Regex($@"\A(?:{pattern})\z", RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
        // Bounded: patterns come from user input, so a flood of distinct ones must not grow memory forever.
        if (Cache.Count >= MaxEntries) Cache.Clear();
        regex = Cache.GetOrAdd(pattern, regex);
        error = null;
        return true;
    }

    /// <summary>Full match; a pattern that runs past the timeout counts as not matching.</summary>
    public static bool IsMatch(Regex regex, string value)
    {
        try { return regex.IsMatch(value); }
        catch (RegexMatchTimeoutException) { return false; }
    }
}
