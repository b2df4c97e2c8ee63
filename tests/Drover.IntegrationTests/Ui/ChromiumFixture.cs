using Drover.IntegrationTests.Harness.Browser;

namespace Drover.IntegrationTests.Ui;

/// <summary>One headless Chromium for the dashboard tests of a class (each test gets its own context); killed by PID at the end.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private HeadlessChromium? _chromium;

    public HeadlessChromium Chromium => _chromium ?? throw new InvalidOperationException("chromium did not start");

    public async Task InitializeAsync() => _chromium = await HeadlessChromium.StartAsync();

    public async Task DisposeAsync()
    {
        if (_chromium is not null) await _chromium.DisposeAsync();
    }
}
