using System.Text;

namespace Drover.Dns.Wire;

/// <summary>
/// Domain names as text: dotted, without the trailing dot ("" is the root), with RFC 1035
/// master-file escapes (<c>\.</c>, <c>\\</c>, <c>\DDD</c>) for bytes that are not plain.
/// </summary>
public static class DnsName
{
    public const int MaxWireLength = 255;
    public const int MaxLabelLength = 63;

    /// <summary>Lower-cases ASCII and drops one trailing dot: the form record-set keys use.</summary>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.EndsWith('.') && !name.EndsWith("\\.", StringComparison.Ordinal) ? name[..^1] : name;
        return trimmed.ToLowerInvariant();
    }

    /// <summary>Splits text into wire labels; throws <see cref="DnsFormatException"/> on bad escapes or limits.</summary>
    public static List<byte[]> ToLabels(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var labels = new List<byte[]>();
        if (name.Length == 0 || name == ".")
        {
            return labels;
        }

        var current = new List<byte>(MaxLabelLength);
        var wire = 1;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '.')
            {
                if (i == name.Length - 1)
                {
                    break; // trailing dot of an FQDN
                }

                wire += Flush(labels, current, name);
                continue;
            }

            if (c == '\\')
            {
                if (i + 1 >= name.Length)
                {
                    throw new DnsFormatException($"dangling escape in '{name}'");
                }

                if (char.IsAsciiDigit(name[i + 1]))
                {
                    if (i + 3 >= name.Length || !char.IsAsciiDigit(name[i + 2]) || !char.IsAsciiDigit(name[i + 3]))
                    {
                        throw new DnsFormatException($"bad \\DDD escape in '{name}'");
                    }

                    var value = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
                    if (value > 255)
                    {
                        throw new DnsFormatException($"bad \\DDD escape in '{name}'");
                    }

                    current.Add((byte)value);
                    i += 3;
                    continue;
                }

                c = name[++i];
            }

            if (c > 0xFF)
            {
                throw new DnsFormatException($"non-ASCII character in '{name}'");
            }

            current.Add((byte)c);
        }

        wire += Flush(labels, current, name);
        if (wire > MaxWireLength)
        {
            throw new DnsFormatException($"name longer than {MaxWireLength} bytes: '{name}'");
        }

        return labels;
    }

    /// <summary>The uncompressed wire form (length-prefixed labels and the root byte).</summary>
    public static byte[] ToWire(string name)
    {
        var labels = ToLabels(name);
        var bytes = new byte[labels.Sum(l => l.Length + 1) + 1];
        var pos = 0;
        foreach (var label in labels)
        {
            bytes[pos++] = (byte)label.Length;
            label.CopyTo(bytes, pos);
            pos += label.Length;
        }

        return bytes;
    }

    /// <summary>Appends one label as text, escaping dots, backslashes and non-printable bytes.</summary>
    public static void AppendLabel(StringBuilder text, ReadOnlySpan<byte> label)
    {
        foreach (var b in label)
        {
            if (b is (byte)'.' or (byte)'\\')
            {
                text.Append('\\').Append((char)b);
            }
            else if (b is < 0x21 or > 0x7E)
            {
                text.Append('\\').Append((b / 100).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append((b / 10 % 10).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append((b % 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append((char)b);
            }
        }
    }

    /// <summary>
    /// True when <paramref name="name"/> (normalized) is a host name we can serve: labels of
    /// letters, digits, '-' and '_', 1..63 bytes each, 253 characters at most.
    /// </summary>
    public static bool IsServable(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        var labelLength = 0;
        foreach (var c in name)
        {
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return false;
                }

                labelLength = 0;
                continue;
            }

            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
            {
                return false;
            }

            if (++labelLength > MaxLabelLength)
            {
                return false;
            }
        }

        return labelLength > 0;
    }

    private static int Flush(List<byte[]> labels, List<byte> current, string name)
    {
        if (current.Count == 0)
        {
            throw new DnsFormatException($"empty label in '{name}'");
        }

        if (current.Count > MaxLabelLength)
        {
            throw new DnsFormatException($"label longer than {MaxLabelLength} bytes in '{name}'");
        }

        labels.Add([.. current]);
        current.Clear();
        return labels[^1].Length + 1;
    }
}
