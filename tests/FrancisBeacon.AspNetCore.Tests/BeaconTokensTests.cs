using System.Security.Cryptography;
using System.Text;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class BeaconTokensTests
{
    [Fact]
    public void CreateApiKey_HashIsTheSha256OfTheToken_AndTokensAreUnique()
    {
        var first = BeaconTokens.CreateApiKey();
        var second = BeaconTokens.CreateApiKey();

        Assert.StartsWith(BeaconTokens.ApiKeyPrefix, first.Token, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(first.Token))), first.Hash);
        Assert.Equal(first.Hash, BeaconTokens.ComputeHash(first.Token));
        Assert.NotEqual(first.Token, second.Token);
        Assert.True(first.Token.Length >= BeaconTokens.ApiKeyPrefix.Length + 43, first.Token.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void CreateShareLink_IsUrlSafe_AndToStringHidesTheToken()
    {
        var share = BeaconTokens.CreateShareLink();

        Assert.StartsWith(BeaconTokens.ShareLinkPrefix, share.Token, StringComparison.Ordinal);
        Assert.Equal(Uri.EscapeDataString(share.Token), share.Token);
        Assert.DoesNotContain(share.Token, share.ToString(), StringComparison.Ordinal);
        Assert.Contains(share.Hash, share.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void IsToken_OnlyForPrincipalsCarryingTheKindClaim()
    {
        var user = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("name", "ann")], "Cookies"));
        var key = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(BeaconTokenDefaults.KindClaimType, BeaconTokenDefaults.ApiKeyKind)], BeaconTokenDefaults.AuthenticationScheme));

        Assert.False(BeaconTokens.IsToken(user));
        Assert.True(BeaconTokens.IsToken(key));
    }

    [Fact]
    public void Validator_ListsEveryProblem()
    {
        var options = new BeaconTokenOptions();
        options.ApiKeys.Add(new BeaconApiKeyOptions { Name = "a", Hash = new string('a', 64) });
        options.ApiKeys.Add(new BeaconApiKeyOptions { Name = "a", Hash = new string('A', 64) });
        options.ShareLinks.Add(new BeaconShareLinkOptions { Name = "", Hash = "zz", Site = "*" });

        var result = new BeaconTokenOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("ApiKeys[0].Sites", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ApiKeys[1].Name 'a' is used twice", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ApiKeys[1].Hash is used twice", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ShareLinks[0].Name is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ShareLinks[0].Hash", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ShareLinks[0].Site", StringComparison.Ordinal));
    }
}
