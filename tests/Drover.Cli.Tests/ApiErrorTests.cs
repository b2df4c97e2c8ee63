using System.Net;
using Drover.Api.Client;
using Drover.Cli.CommandLine;

namespace Drover.Cli.Tests;

public sealed class ApiErrorTests
{
    [Fact]
    public void The_409_hint_names_the_cli_flag_not_the_query_parameter()
    {
        var e = new DroverApiException(HttpStatusCode.Conflict,
            "App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/3f2a'.");
        var text = ApiErrors.Describe(e);
        Assert.Equal("App is locked by one or more deployments. Override it with --force. See 'drover deployments'. (409 conflict)", text);
        Assert.DoesNotContain("?force", text);
    }

    [Fact]
    public void Validation_details_are_listed_on_the_same_line()
    {
        var e = new DroverApiException(HttpStatusCode.UnprocessableEntity, "Object is not valid", [new Api.Marathon.ErrorDetail("/cpus", ["expected a number, got a string"])]);
        Assert.Equal("Object is not valid: /cpus: expected a number, got a string (422 invalid)", ApiErrors.Describe(e));
    }
}
