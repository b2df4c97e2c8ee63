using System.Security.Cryptography;
using System.Text;

namespace Drover.Dns.Records;

/// <summary>Mesos-DNS naming rules (compat §5.1, §5.2) for the <c>.marathon.&lt;domain&gt;</c> names.</summary>
public static class MesosNames
{
    private const string ZBase32 = "ybndrfg8ejkmcpqxot1uwisza345h769";

    /// <summary>First 5 characters of z-base-32(SHA-1(taskId)), as Mesos-DNS puts in per-task names.</summary>
    public static string TaskHash(string taskId)
    {
        var sum = SHA1.HashData(Encoding.UTF8.GetBytes(taskId));
        // 5 characters = the first 25 bits, most significant first
        var bits = ((uint)sum[0] << 24) | ((uint)sum[1] << 16) | ((uint)sum[2] << 8) | sum[3];
        var text = new char[5];
        for (var i = 0; i < 5; i++)
        {
            text[i] = ZBase32[(int)(bits >> (27 - 5 * i)) & 0x1F];
        }

        return new string(text);
    }

    /// <summary>
    /// RFC 1123 label (compat §5.1): lower case, [a-z0-9] kept, '-', '.', '_' become '-',
    /// the rest dropped, leading '-' trimmed, cut to <paramref name="max"/>, trailing '-' trimmed
    /// (refilled from what follows when the cut left dashes at the end).
    /// </summary>
    public static string Label(string text, int max = 63)
    {
        var mapped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var lower = char.ToLowerInvariant(c);
            if (char.IsAsciiLetterLower(lower) || char.IsAsciiDigit(lower))
            {
                mapped.Append(lower);
            }
            else if (lower is '-' or '.' or '_')
            {
                mapped.Append('-');
            }
        }

        var s = mapped.ToString().TrimStart('-');
        if (s.Length <= max)
        {
            return s.TrimEnd('-');
        }

        var cut = s[..max];
        var trimmed = cut.TrimEnd('-');
        if (trimmed.Length == cut.Length)
        {
            return cut;
        }

        // refill from the characters after the cut, skipping dashes, up to max
        var rest = s[max..].TrimStart('-');
        var refill = trimmed + rest[..Math.Min(rest.Length, max - trimmed.Length)];
        return refill.TrimEnd('-');
    }

    /// <summary>
    /// The per-task label "&lt;service&gt;-&lt;hash5&gt;-&lt;node&gt;" (Mesos-DNS uses the agent id's
    /// tail; Drover uses the node's first label), shortened to stay a valid label.
    /// </summary>
    public static string TaskLabel(string service, string taskId, string node)
    {
        var nodeLabel = Label(node.Split('.')[0], 20);
        var suffix = "-" + TaskHash(taskId) + (nodeLabel.Length > 0 ? "-" + nodeLabel : "");
        var head = Label(service, 63 - suffix.Length);
        return head + suffix;
    }
}
