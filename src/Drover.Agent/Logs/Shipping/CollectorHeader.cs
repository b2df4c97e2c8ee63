namespace Drover.Agent.Logs.Shipping;

/// <summary>An HTTP header sent with every POST to an http(s):// collector (<c>--log-ship-header 'Authorization: Bearer …'</c>).</summary>
public sealed record CollectorHeader(string Name, string Value)
{
    /// <summary>The value is a credential more often than not: never shown.</summary>
    public override string ToString() => $"{Name}: …";

    /// <summary>Parses "Name: value" (curl's -H form); the error names what is wrong, without echoing the value.</summary>
    public static bool TryParse(string? text, out CollectorHeader? header, out string error)
    {
        header = null;
        error = "";
        var colon = text?.IndexOf(':') ?? -1;
        if (text is null || colon <= 0)
        {
            error = "expects 'Name: value', e.g. 'Authorization: Bearer TOKEN'";
            return false;
        }
        var name = text[..colon].Trim();
        var value = text[(colon + 1)..].Trim();
        // RFC 9110 token characters only in the name; no line breaks anywhere (header injection)
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
        {
            error = $"'{name}' is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)";
            return false;
        }
        if (value.Any(c => c is '\r' or '\n' or '\0'))
        {
            error = $"the value of '{name}' contains a line break";
            return false;
        }
        if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{name}' is set by the agent itself";
            return false;
        }
        header = new CollectorHeader(name, value);
        return true;
    }
}
