using System.Text;

namespace Drover.State.Etcd.Client;

/// <summary>Key helpers: etcd keys are bytes; a range [key, range_end) with range_end = the prefix "plus one".</summary>
public static class EtcdKeys
{
    public static byte[] Utf8(string key) => Encoding.UTF8.GetBytes(key);

    /// <summary>The smallest key greater than every key starting with <paramref name="prefix"/> (etcd's clientv3.GetPrefixRangeEnd).</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        var end = prefix.ToArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }
        return [0]; // all 0xff (or empty): to the end of the keyspace
    }

    /// <summary>The key right after <paramref name="key"/>: key + 0x00.</summary>
    public static byte[] After(byte[] key) => [.. key, 0];

    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);
}
