using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// Declares the two ways to send a key in the OpenAPI document (<c>Bearer</c> and <c>ApiKey</c>)
/// and, on every operation that needs one, which scope: client generators then add the header.
/// </summary>
internal static class SecuritySchemes
{
    public const string Bearer = "Bearer";

    public const string ApiKey = "ApiKey";

    /// <summary>What every keyed operation may answer besides its own problems.</summary>
    private static readonly (int Status, string Description, string Title, string Detail)[] Refusals =
    [
        (StatusCodes.Status401Unauthorized, "No valid API key came with the request (with Auth:Mode=Keys).", "API key required",
            "API key '3f9a2c7d1e5b' was revoked at 2026-05-01 09:00:00Z."),
        (StatusCodes.Status403Forbidden, "The key lacks this operation's scope, or is confined to other catalogs.", "Not allowed for this key",
            "API key '3f9a2c7d1e5b' may not use catalog 'globex'; it is limited to catalogs starting with 'acme-'."),
        (StatusCodes.Status429TooManyRequests, "The key's rate for this scope is used up; retry after Retry-After seconds.", "Too many requests",
            "API key '3f9a2c7d1e5b' has used its 'search' allowance (50 per second, bursts of 100, set by Limits:Search); retry after 1 s."),
    ];

    public static OpenApiOptions AddOutfitFinderSecuritySchemes(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (ofk_<id>.<secret>) as 'Authorization: Bearer <key>'. Not needed when the gateway runs with Auth:Mode=None.",
            };
            document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "The same API key in the X-Api-Key header.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredScope>().FirstOrDefault() is not { } required)
            {
                return Task.CompletedTask;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [required.Scope.Name()] });
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, context.Document)] = [required.Scope.Name()] });
            operation.Description = $"{operation.Description}\n\nNeeds an API key with the '{required.Scope.Name()}' scope.".TrimStart();
            operation.Responses ??= new OpenApiResponses();
            foreach (var (status, description, title, detail) in Refusals)
            {
                var response = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        ["application/problem+json"] = new()
                        {
                            Schema = new OpenApiSchemaReference("ProblemDetails", context.Document),
                            Example = new JsonObject { ["title"] = title, ["status"] = status, ["detail"] = detail },
                        },
                    },
                };
                if (status == StatusCodes.Status429TooManyRequests)
                {
                    response.Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal)
                    {
                        ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                    };
                }

                operation.Responses.TryAdd(status.ToString(System.Globalization.CultureInfo.InvariantCulture), response);
            }

            return Task.CompletedTask;
        });
        return options;
    }
}
