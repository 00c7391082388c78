using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace OutfitFinder.Cli.Tests.Infrastructure;

/// <summary>One part of a multipart/form-data body; <see cref="FileName"/> is null for a plain field.</summary>
internal sealed record FormPart(string Name, string? FileName, string? ContentType, byte[] Content)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Content);
}

/// <summary>Parses request bodies with ASP.NET Core's reader, the one the gateway reads uploads with.</summary>
internal static class MultipartForm
{
    public static async Task<IReadOnlyList<FormPart>> ReadAsync(string? contentType, byte[] body)
    {
        var mediaType = MediaTypeHeaderValue.Parse(contentType ?? throw new InvalidOperationException("The request has no content type."));
        Assert.Equal("multipart/form-data", mediaType.MediaType.Value);
        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value!;
        var reader = new MultipartReader(boundary, new MemoryStream(body));
        var parts = new List<FormPart>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var disposition = ContentDispositionHeaderValue.Parse(section.ContentDisposition);
            using var content = new MemoryStream();
            await section.Body.CopyToAsync(content);
            parts.Add(new FormPart(
                HeaderUtilities.RemoveQuotes(disposition.Name).Value!,
                disposition.FileName.HasValue ? HeaderUtilities.RemoveQuotes(disposition.FileName).Value : null,
                section.ContentType,
                content.ToArray()));
        }

        return parts;
    }
}
