using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OutfitFinder.Gateway.Access;

namespace OutfitFinder.Gateway.Tests.Access;

public sealed class PhotoSearchLimiterTests
{
    [Fact]
    public void Acquire_Answers429WithRetryAfter_WhenTheKeyHasAsManyPhotoSearchesRunningAsAllowed()
    {
        using var limiter = new PhotoSearchLimiter(Options.Create(new LimitsOptions { ImageSearchConcurrency = 2 }));
        var first = Request("shop");

        var (one, _) = limiter.Acquire(first);
        var (two, _) = limiter.Acquire(Request("shop"));
        var refused = Request("shop");
        var (three, problem) = limiter.Acquire(refused);
        var (other, otherProblem) = limiter.Acquire(Request("another"));

        Assert.NotNull(one);
        Assert.NotNull(two);
        Assert.Null(three);
        Assert.Equal(StatusCodes.Status429TooManyRequests, Assert.IsType<ProblemHttpResult>(problem).StatusCode);
        Assert.Equal("1", refused.Response.Headers.RetryAfter.ToString());
        Assert.NotNull(other);
        Assert.Null(otherProblem);

        one!.Dispose();
        var (again, _) = limiter.Acquire(Request("shop"));
        Assert.NotNull(again);
    }

    private static DefaultHttpContext Request(string keyId)
    {
        var http = new DefaultHttpContext();
        http.Features.Set(new ApiKeyFeature(new ApiKeyRecord(keyId, null, [ApiScope.Search], null, null, null, null, "", "", DateTimeOffset.UnixEpoch, null)));
        return http;
    }
}
