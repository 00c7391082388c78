using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OutfitFinder.Gateway.Hosting;

/// <summary>
/// What the generated OpenAPI document cannot know from the endpoints' signatures: the problem
/// responses each route answers with, examples, tag descriptions and the document's description.
/// A front-end team generates its client from this document, so a 404 missing here is a 404
/// its client cannot type.
/// </summary>
/// <remarks>
/// Kept in one table beside the hosting code, keyed by the routes' names, rather than as
/// <c>ProducesProblem</c> calls on each route: the handlers return <c>ProblemHttpResult</c> for every
/// failure, so their signatures say nothing about which statuses occur, and one table is easier to
/// check against the handlers than calls spread over every API file.
/// </remarks>
internal static class OpenApiDocumentation
{
    private const string ProblemSchema = "ProblemDetails";
    private const string ProblemJson = "application/problem+json";

    /// <summary>Problem statuses per route name, besides 400 for every route and 404 for every route under a catalog.</summary>
    private static readonly Dictionary<string, int[]> ExtraProblems = new(StringComparer.Ordinal)
    {
        ["CreateCatalog"] = [409],
        ["GetCluster"] = [503],
        ["PutProduct"] = [413, 415, 503],
        ["Search"] = [413, 415, 503],
        ["StartIngestion"] = [409],
    };

    private static readonly Dictionary<int, (string Description, string Title, string Detail)> ProblemExamples = new()
    {
        [400] = ("The request is invalid; detail says which part and why.", "Invalid request", "k is 0; it must be between 1 and 1000."),
        [404] = ("The catalog (or product, or job) does not exist.", "Catalog not found", "There is no catalog named 'spring'."),
        [409] = ("The resource exists with another definition.", "Catalog exists with another definition", "Catalog 'spring' already exists as model=resnet18, metric=l2, shards=4."),
        [413] = ("The request or an image is over a limit.", "Image too large", "Image is 12,000,000 bytes; the limit is 10,485,760."),
        [415] = ("The body or an image is of a type the gateway does not read.", "Unsupported image format", "Image format is not recognised; send a JPEG, PNG, WebP, BMP or GIF."),
        [503] = ("Part of the cluster is not answering; retry later.", "Catalog unavailable", "Shards 2 and 3 of catalog 'spring' did not answer within 2000 ms."),
    };

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Catalogs"] = "Named collections of products with a fixed embedding space (model, metric, dimension) and shard count.",
        ["Products"] = "Products of a catalog: id, category, metadata and one or more shop images.",
        ["Search"] = "The k products that look most like a photo (optionally a boxed region of it) or a vector.",
        ["Ingestions"] = "Bulk loads of a manifest from a source the cluster reads, with progress and bad rows.",
        ["Cluster"] = "The silos of the cluster and what runs on them.",
    };

    /// <summary>Request and response examples by route name: (request JSON, success status, response JSON).</summary>
    private static readonly Dictionary<string, (string? Request, string Status, string Response)> Examples = new(StringComparer.Ordinal)
    {
        ["ListCatalogs"] = (null, "200", """{"catalogs":[{"name":"spring","model":"resnet18-rmac-street","metric":"cosine","dimension":512,"shards":4,"products":1200,"images":3100,"fields":{},"replicas":1,"localise":"thorough"}],"next":null}"""),
        ["CreateCatalog"] = ("""{"model":"resnet18-rmac-street","metric":"cosine","shards":4,"replicas":1,"localise":"thorough","fields":{"price":"number","brand":"string"}}""", "201",
            """{"name":"spring","model":"resnet18-rmac-street","metric":"cosine","dimension":512,"shards":4,"products":0,"images":0,"fields":{"brand":"string","price":"number"},"replicas":1,"localise":"thorough"}"""),
        ["GetCatalog"] = (null, "200", """{"name":"spring","model":"resnet18-rmac-street","metric":"cosine","dimension":512,"shards":4,"products":1200,"images":3100,"fields":{"brand":"string","price":"number"},"replicas":1,"localise":"thorough"}"""),
        ["PutProduct"] = ("""{"vectors":[[0.12,-0.03,0.88,0.41]],"category":"Dress","metadata":{"price":49.9,"brand":"acme"}}""", "201",
            """{"productId":"d-001","category":"Dress","metadata":{"price":49.9,"brand":"acme"},"images":1}"""),
        ["GetProduct"] = (null, "200", """{"productId":"d-001","category":"Dress","metadata":{"price":59.9},"images":2}"""),
        ["Search"] = ("""{"image":"/9j/4AAQSkZJRg...","box":"40,120,200,260","k":10,"category":"Dress","filter":{"and":[{"price":{"lt":50}},{"brand":{"in":["acme","zen"]}}]}}""", "200",
            """{"results":[{"productId":"d-001","score":0.912,"category":"Dress","imageIndex":0,"metadata":{"price":59.9}}],"partial":false,"tookMs":38.2,"stale":false,"lagMs":0}"""),
        ["StartIngestion"] = ("""{"source":"spring","manifest":"manifests/spring.csv","id":"spring-1"}""", "202",
            """{"id":"spring-1","catalog":"spring","source":"spring","manifest":"manifests/spring.csv","state":"running","total":601,"succeeded":120,"failed":1,"skipped":0,"imagesPerSecond":41.5,"etaSeconds":11.6,"failures":[{"row":17,"productId":"s-017","image":"skirts/missing.jpg","reason":"image 'skirts/missing.jpg' not found in source 'spring'"}],"failuresNotListed":0,"resumes":0,"error":null,"createdAt":"2026-05-01T09:00:00+00:00","updatedAt":"2026-05-01T09:00:03+00:00"}"""),
    };

    /// <summary>Adds the transformers to the gateway's OpenAPI document.</summary>
    public static OpenApiOptions AddOutfitFinderDocumentation(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "OutfitFinder API";
            document.Info.Description = "Visual product search: create catalogs, add products with shop images, and find the products "
                + "that look most like a photo. Every error is an RFC 7807 problem details document (application/problem+json) "
                + "whose detail says what to change.";
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            // An empty requirement declares that the operations need no credentials; API keys, when
            // configured, replace it with their scheme.
            document.Security ??= [new OpenApiSecurityRequirement()];
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
            document.Components.Schemas[ProblemSchema] = ProblemDetailsSchema();
            document.Tags = new HashSet<OpenApiTag>(TagDescriptions.Select(tag => new OpenApiTag { Name = tag.Key, Description = tag.Value }));
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var name = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
            if (name is null)
            {
                return Task.CompletedTask;
            }

            operation.OperationId ??= name;
            operation.Responses ??= new OpenApiResponses();
            var statuses = new SortedSet<int> { 400 };
            if (context.Description.RelativePath?.Contains("{catalog}", StringComparison.Ordinal) == true)
            {
                statuses.Add(404);
            }

            statuses.UnionWith(ExtraProblems.GetValueOrDefault(name, []));
            foreach (var status in statuses)
            {
                var (description, title, detail) = ProblemExamples[status];
                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                    {
                        [ProblemJson] = new()
                        {
                            Schema = new OpenApiSchemaReference(ProblemSchema, context.Document),
                            Example = new JsonObject { ["title"] = title, ["status"] = status, ["detail"] = detail },
                        },
                    },
                };
            }

            if (Examples.TryGetValue(name, out var example))
            {
                if (example.Request is not null && operation.RequestBody?.Content?.TryGetValue("application/json", out var request) == true)
                {
                    request.Example = JsonNode.Parse(example.Request);
                }

                if (operation.Responses.TryGetValue(example.Status, out var response) && response.Content?.TryGetValue("application/json", out var body) == true)
                {
                    body.Example = JsonNode.Parse(example.Response);
                }
            }

            return Task.CompletedTask;
        });
        return options;
    }

    private static OpenApiSchema ProblemDetailsSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 7807 problem details. 'detail' says what was wrong and what to change.",
        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A URI reference naming the problem type." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A short summary, the same for every occurrence of this problem." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int32", Description = "The HTTP status." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "What was wrong with this request, in a sentence." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "A URI reference naming this occurrence." },
        },
        AdditionalPropertiesAllowed = true,
    };
}
