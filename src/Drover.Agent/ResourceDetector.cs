using System.Globalization;
using Drover.Core.Cluster;

namespace Drover.Agent;

/// <summary>What this host offers to tasks: detected figures, overridden by options.</summary>
public static class ResourceDetector
{
    public static AgentResources Detect(AgentOptions options) => new()
    {
        Cpus = options.Cpus ?? Environment.ProcessorCount,
        MemMb = options.MemMb ?? DetectMemMb() ?? 0,
        DiskMb = options.DiskMb ?? DetectFreeDiskMb(options.DataDir) ?? 0,
        Ports = options.PortRanges,
    };

    /// <summary>MemTotal from /proc/meminfo in MiB, or null when unreadable.</summary>
    public static double? DetectMemMb(string meminfoPath = "/proc/meminfo")
    {
        try
        {
            foreach (var line in File.ReadLines(meminfoPath))
            {
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb))
                    return Math.Floor(kb / 1024.0);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Free space of the file system holding <paramref name="dir"/> (or its nearest existing parent), in MiB.</summary>
    public static double? DetectFreeDiskMb(string dir)
    {
        try
        {
            var probe = Path.GetFullPath(dir);
            while (!Directory.Exists(probe))
            {
                var parent = Path.GetDirectoryName(probe);
                if (parent is null) return null;
                probe = parent;
            }
            return Math.Floor(new DriveInfo(probe).AvailableFreeSpace / (1024.0 * 1024.0));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        catch (ArgumentException) { return null; }
    }
}
