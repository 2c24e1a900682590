using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(FrancisBeacon.Browser.Tests.ChromiumFixture))]

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// One headless Debian Chromium (<c>/usr/bin/chromium</c>) for the whole test assembly, driven by Playwright.
/// Playwright's own browser download is never used. Without Chromium, tests skip with a reason, or fail when
/// <c>CI=true</c> (a green CI never hides a skip).
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>The launch flags: no sandbox (root in a container), no GPU, and nothing that talks to the internet.</summary>
    /// <remarks>
    /// <c>--host-resolver-rules</c> sends the test host names (<c>site.test</c>, <c>other.test</c>) to the loopback
    /// test server, so pages run on a real, non-localhost origin as on a deployed site (the trackers skip localhost).
    /// </remarks>
    public static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP *.test 127.0.0.1",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _unavailable;

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            _unavailable = $"{ExecutablePath} is missing; install it with 'apt-get install -y chromium' (.ci/run does).";
            return;
        }

        try
        {
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Args = Args,
                Headless = true,
                Timeout = 60_000,
            });
        }
        catch (PlaywrightException ex)
        {
            _unavailable = $"Chromium at {ExecutablePath} could not be started by Playwright: {ex.Message}";
        }
    }

    /// <summary>The browser; skips the calling test (or fails it when <c>CI=true</c>) when there is none.</summary>
    public IBrowser Browser
    {
        get
        {
            if (_browser is not null)
            {
                return _browser;
            }

            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"CI=true but the browser tests cannot run: {_unavailable}");
            }

            Assert.Skip(_unavailable ?? "No browser.");
            return null!;
        }
    }

    /// <summary>
    /// A fresh context that looks like the desktop Chromium it is. Headless Chromium says "HeadlessChrome" in its
    /// user agent and sets <c>navigator.webdriver</c>; the bot filter, our tracker and Plausible's rightly ignore
    /// both, so the context uses the regular Chrome user agent of the same version and hides the automation flag.
    /// </summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var browser = Browser;
        var major = browser.Version.Split('.')[0];
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            UserAgent = $"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36",
            Locale = "en-GB",
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        await context.AddInitScriptAsync("Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true });");
        context.SetDefaultTimeout(15_000);
        return context;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
