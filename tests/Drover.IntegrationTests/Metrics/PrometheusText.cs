using System.Globalization;
using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests.Metrics;

/// <summary>Reads samples out of a /metrics body, and checks a body with Prometheus's own promtool.</summary>
public static class PrometheusText
{
    /// <summary>The value of the sample written exactly as <paramref name="series"/> (name and labels), or null.</summary>
    public static double? Value(string body, string series)
    {
        foreach (var line in body.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>The sum of every sample of <paramref name="name"/> whose labels contain all of <paramref name="labels"/>.</summary>
    public static double Sum(string body, string name, params string[] labels)
    {
        double sum = 0;
        foreach (var line in body.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] is not ('{' or ' ')) continue;
            var space = line.LastIndexOf(' ');
            var series = line[..space];
            if (labels.All(l => series.Contains(l, StringComparison.Ordinal))) sum += double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary><c>promtool check metrics</c> on the body: exit 0 and no lint complaints, or the test fails with promtool's words.</summary>
    public static async Task CheckWithPromtoolAsync(string body, string what)
    {
        var promtool = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':')
            .Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        Assert.True(promtool is not null,
            "promtool is not installed: it validates /metrics in this test. Install Debian's prometheus package (apt-get install -y prometheus; ./test.sh does)");
        using var dir = new TempDir("promtool");
        var file = dir.Combine("metrics.txt");
        await File.WriteAllTextAsync(file, body);
        // promtool reads the exposition on stdin only
        var r = await ProcessRunner.RunAsync("/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", promtool!, file], TimeSpan.FromSeconds(30));
        Assert.True(r.Succeeded && r.Stdout.Trim().Length == 0 && r.Stderr.Trim().Length == 0, $"promtool check metrics on the {what}'s /metrics:\n{r}\n--- body\n{body}");
    }
}
