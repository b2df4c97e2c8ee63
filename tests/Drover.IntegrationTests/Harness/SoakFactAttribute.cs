namespace Drover.IntegrationTests.Harness;

/// <summary>A long-running test: skipped unless DROVER_SOAK=1 (./test.sh passes the variable through).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SoakFactAttribute : FactAttribute
{
    public SoakFactAttribute()
    {
        if (!Enabled) Skip = "soak test: set DROVER_SOAK=1 to run it";
    }

    public static bool Enabled => Environment.GetEnvironmentVariable("DROVER_SOAK") == "1";
}
