using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OutfitFinder.Core.Images;
using OutfitFinder.Gateway.Apis;

namespace OutfitFinder.Gateway.Uploads;

/// <summary>A multipart upload, read and checked: image bytes (headers already inspected) and fields.</summary>
public sealed record Upload(IReadOnlyList<byte[]> Images, IFormCollection Form);

/// <summary>
/// Reads multipart bodies and checks every image's size, format and pixel count from its header,
/// so that bad images are refused with a 4xx before any bytes travel to an extractor.
/// </summary>
public sealed class UploadReader(IOptions<ImageLimits> limits)
{
    public async Task<(Upload? Upload, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, int maxImages, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            return (null, Problems.Make(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Expected multipart/form-data with 'image' file parts, got '{request.ContentType ?? "nothing"}'."));
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (InvalidDataException exception) when (IsLimit(exception))
        {
            return (null, Problems.Make(StatusCodes.Status413PayloadTooLarge, "Request too large", exception.Message));
        }
        catch (InvalidDataException exception)
        {
            return (null, Problems.BadRequest($"The multipart body could not be read: {exception.Message}"));
        }
        catch (BadHttpRequestException exception)
        {
            return (null, Problems.Make(exception.StatusCode, "Invalid request body", exception.Message));
        }
        catch (IOException exception)
        {
            return (null, Problems.BadRequest($"The multipart body could not be read: {exception.Message}"));
        }

        var files = form.Files.GetFiles("image");
        if (files.Count == 0)
        {
            return (null, Problems.BadRequest("The request has no file part named 'image'."));
        }

        if (files.Count > maxImages)
        {
            return (null, Problems.BadRequest($"The request has {files.Count} images; at most {maxImages} are allowed."));
        }

        var images = new List<byte[]>(files.Count);
        for (var i = 0; i < files.Count; i++)
        {
            if (files[i].Length > limits.Value.MaxBytes)
            {
                return (null, Problems.Image(ImageRejection.TooManyBytes,
                    $"{files[i].Length:N0} bytes; the limit is {limits.Value.MaxBytes:N0}.", files.Count > 1 ? i : null));
            }

            using var buffer = new MemoryStream((int)files[i].Length);
            await files[i].CopyToAsync(buffer, cancellationToken);
            var bytes = buffer.ToArray();
            try
            {
                ImageDecoder.Inspect(bytes, limits.Value);
            }
            catch (ImageRejectedException rejected)
            {
                return (null, Problems.Image(rejected.Reason, rejected.Message, files.Count > 1 ? i : null));
            }

            images.Add(bytes);
        }

        return (new Upload(images, form), null);
    }

    /// <summary>
    /// Decodes a base64 image from a JSON body and checks it as <see cref="ReadAsync"/> checks a file part.
    /// </summary>
    public (byte[]? Image, ProblemHttpResult? Problem) ReadBase64(string base64)
    {
        // Base64 is 4 characters per 3 bytes: anything longer than this cannot be under the byte limit.
        if (base64.Length > ((limits.Value.MaxBytes + 2) / 3 * 4) + 4)
        {
            return (null, Problems.Image(ImageRejection.TooManyBytes, $"The base64 image is {base64.Length:N0} characters; the limit is {limits.Value.MaxBytes:N0} bytes."));
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return (null, Problems.BadRequest("'image' is not valid base64; send the file's bytes base64-encoded (no data: prefix)."));
        }

        try
        {
            ImageDecoder.Inspect(bytes, limits.Value);
        }
        catch (ImageRejectedException rejected)
        {
            return (null, Problems.Image(rejected.Reason, rejected.Message));
        }

        return (bytes, null);
    }

    /// <summary>
    /// Checks that <paramref name="json"/> is a JSON object whose values are strings or numbers,
    /// and returns it compacted; null input stays null.
    /// </summary>
    public static (string? Json, string? Error) ValidateMetadata(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return (null, null);
        }

        if (json.Length > 16 * 1024)
        {
            return (null, $"Metadata is {json.Length:N0} characters; the limit is 16,384.");
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, "Metadata must be a JSON object, e.g. {\"price\": 49.9, \"brand\": \"Acme\"}.");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    return (null, $"Metadata field '{property.Name}' is {property.Value.ValueKind}; only strings and numbers are allowed.");
                }
            }

            return (JsonSerializer.Serialize(document.RootElement), null);
        }
        catch (JsonException exception)
        {
            return (null, $"Metadata is not valid JSON: {exception.Message}");
        }
    }

    /// <summary>
    /// The form reader throws one exception type both for a body past its limits ("Multipart body length limit 1024
    /// exceeded", "Form value count limit … exceeded") and for a malformed one ("Missing content-type boundary"); only
    /// the message tells them apart, and only the first is a 413.
    /// </summary>
    private static bool IsLimit(InvalidDataException exception) =>
        exception.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);
}
