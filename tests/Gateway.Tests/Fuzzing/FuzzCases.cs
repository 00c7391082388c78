using System.Net.Http.Headers;
using System.Text;
using SkiaSharp;

namespace OutfitFinder.Gateway.Tests.Fuzzing;

/// <summary>
/// Makes fuzz cases from a seeded random source: mutated images sent as product writes or photo
/// searches, and malformed requests. Each kind is a method; <see cref="Next"/> picks one by weight,
/// so cheap cases (refused before any model runs) are the bulk and costly ones still appear.
/// </summary>
public sealed class FuzzCases
{
    private readonly Random _random;
    private readonly string _catalog;
    private readonly string _adminKey;
    private readonly byte[][] _seeds;
    private readonly (string Kind, int Weight, Func<FuzzCase> Make)[] _kinds;
    private readonly int _totalWeight;
    private readonly string _idPrefix;
    private long _ids;

    /// <param name="seed">Seeds the random source: the same seed makes the same cases.</param>
    /// <param name="idPrefix">Starts every product id this generator makes, so that workers never write the same product.</param>
    /// <param name="catalog">The catalog writes and searches go to.</param>
    /// <param name="adminKey">A valid key, for raw requests and to derive wrong ones from.</param>
    public FuzzCases(int seed, string idPrefix, string catalog, string adminKey)
    {
        _idPrefix = idPrefix;
        _random = new Random(seed);
        _catalog = catalog;
        _adminKey = adminKey;
        _seeds = [.. SeedImages()];
        _kinds =
        [
            ("bit-flip", 8, BitFlip),
            ("truncation", 6, Truncation),
            ("wrong-magic", 6, WrongMagic),
            ("huge-dimensions", 4, HugeDimensions),
            ("colour-space", 3, ColourSpace),
            ("animated", 2, Animated),
            ("exif-rotation", 3, ExifRotation),
            ("bad-multipart", 8, BadMultipart),
            ("bad-json", 8, BadJson),
            ("huge-header", 3, HugeHeader),
            ("huge-body", 1, HugeBody),
            ("odd-encoding", 5, OddEncoding),
            ("path-trick", 10, PathTrick),
            ("bad-key", 4, BadKey),
            ("raw-http", 5, RawHttp),
        ];
        _totalWeight = _kinds.Sum(kind => kind.Weight);
    }

    /// <summary>Largest request body the gateway under test accepts; <see cref="HugeBody"/> goes over it.</summary>
    public const int MaxRequestBytes = 6 * 1024 * 1024;

    public IEnumerable<string> Kinds => _kinds.Select(kind => kind.Kind);

    /// <summary>The next case. Not thread-safe: one generator per worker.</summary>
    public FuzzCase Next()
    {
        var pick = _random.Next(_totalWeight);
        foreach (var (_, weight, make) in _kinds)
        {
            if (pick < weight)
            {
                return make();
            }

            pick -= weight;
        }

        throw new InvalidOperationException("weights do not add up");
    }

    private FuzzCase BitFlip()
    {
        var image = (byte[])Seed().Clone();
        var flips = _random.Next(1, 9);
        for (var i = 0; i < flips; i++)
        {
            var at = _random.Next(image.Length);
            image[at] ^= (byte)(1 << _random.Next(8));
        }

        return ImageCase("bit-flip", $"{flips} bits flipped", image, Expect.AcceptOrReject);
    }

    private FuzzCase Truncation()
    {
        var seed = Seed();
        var keep = _random.Next(0, seed.Length);
        return ImageCase("truncation", $"kept {keep} of {seed.Length} bytes", seed[..keep], Expect.AcceptOrReject);
    }

    private FuzzCase WrongMagic()
    {
        // A body of one format behind another's signature, or no signature at all: no decoder can read it.
        byte[][] magics = ["GIF89a"u8.ToArray(), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF, 0xE0],
            "RIFF\0\0\0\0WEBP"u8.ToArray(), "%PDF-1.7"u8.ToArray(), new byte[8], "BM"u8.ToArray(), "<svg"u8.ToArray()];
        var seed = Seed();
        // Another format's signature: the seed's own one (a GIF seed drawn "GIF89a") leaves a body its decoder may read.
        byte[] magic;
        do
        {
            magic = magics[_random.Next(magics.Length)];
        }
        while (SameFormat(seed, magic));

        var image = (byte[])seed.Clone();
        // Keep the signature from matching the body: overwrite the seed's own first bytes.
        magic.AsSpan(0, Math.Min(magic.Length, image.Length)).CopyTo(image);
        for (var i = magic.Length; i < Math.Min(32, image.Length); i++)
        {
            image[i] = (byte)_random.Next(256);
        }

        return ImageCase("wrong-magic", $"signature {Convert.ToHexString(magic)} over a {seed.Length}-byte image", image, Expect.Reject);
    }

    /// <summary>Whether <paramref name="image"/> already starts as <paramref name="magic"/> does (its first three bytes, or fewer).</summary>
    private static bool SameFormat(byte[] image, byte[] magic)
    {
        var length = Math.Min(3, magic.Length);
        return image.Length >= length && image.AsSpan(0, length).SequenceEqual(magic.AsSpan(0, length));
    }

    private FuzzCase HugeDimensions()
    {
        (int W, int H)[] sizes = [(100_000, 100_000), (1, int.MaxValue / 2), (int.MaxValue / 2, 1), (50_000, 50_000), (20_000, 20_000)];
        var (w, h) = sizes[_random.Next(sizes.Length)];
        return ImageCase("huge-dimensions", $"PNG declaring {w}×{h}", CraftedImages.PngDeclaring(w, h), Expect.Reject);
    }

    private FuzzCase ColourSpace()
    {
        using var source = GarmentImages.Draw(GarmentCatalog.Generate(1, seed: _random.Next(1000))[0].Spec);
        using var small = GarmentImages.Resize(source, 48, 64);
        var choice = _random.Next(7);
        byte[] image;
        string what;
        switch (choice)
        {
            case 0:
                using (var gray = Reencode(small, SKColorType.Gray8))
                {
                    (image, what) = (GarmentImages.Encode(gray, SKEncodedImageFormat.Jpeg), "grayscale JPEG");
                }

                break;
            case 1:
                using (var gray = Reencode(small, SKColorType.Gray8))
                {
                    (image, what) = (GarmentImages.Encode(gray, SKEncodedImageFormat.Png), "grayscale PNG");
                }

                break;
            case 2:
                using (var wide = Reencode(small, SKColorType.RgbaF16))
                {
                    (image, what) = (GarmentImages.Encode(wide, SKEncodedImageFormat.Png), "16-bit PNG");
                }

                break;
            case 3:
                using (var p3 = new SKBitmap(new SKImageInfo(small.Width, small.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul,
                    SKColorSpace.CreateRgb(SKColorSpaceTransferFn.Srgb, SKColorSpaceXyz.DisplayP3))))
                {
                    small.CopyTo(p3);
                    (image, what) = (GarmentImages.Encode(p3, SKEncodedImageFormat.Png), "Display P3 PNG");
                }

                break;
            case 4:
                using (var translucent = Reencode(small, SKColorType.Rgba8888))
                {
                    translucent.Erase(new SKColor(255, 0, 0, 0));
                    (image, what) = (GarmentImages.Encode(translucent, SKEncodedImageFormat.Png), "fully transparent PNG");
                }

                break;
            case 5:
                (image, what) = (CraftedImages.Ico(small), "ICO");
                break;
            default:
                (image, what) = (CraftedImages.Wbmp(_random.Next(1, 127), _random.Next(1, 127)), "WBMP");
                break;
        }

        return ImageCase("colour-space", what, image, Expect.AcceptOrReject);
    }

    private FuzzCase Animated()
    {
        var frames = Enumerable.Range(0, _random.Next(2, 6))
            .Select(i => CraftedImages.Quadrants(32, 32, new SKColor((byte)(i * 50), 0, 0), SKColors.Green, SKColors.Blue, SKColors.White)).ToArray();
        try
        {
            return ImageCase("animated", $"GIF of {frames.Length} frames", CraftedImages.AnimatedGif(frames), Expect.AcceptOrReject);
        }
        finally
        {
            foreach (var frame in frames)
            {
                frame.Dispose();
            }
        }
    }

    private FuzzCase ExifRotation()
    {
        // 1–8 are the defined orientations; 0, 9 and 255 are not and must not break decoding.
        int[] orientations = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255];
        var orientation = orientations[_random.Next(orientations.Length)];
        using var upright = CraftedImages.Quadrants(40, 24, SKColors.Red, SKColors.Green, SKColors.Blue, SKColors.White);
        var image = orientation is >= 1 and <= 8
            ? CraftedImages.JpegWithOrientation(upright, orientation, bigEndian: _random.Next(2) == 0)
            : WithExif(GarmentImages.Encode(upright, SKEncodedImageFormat.Jpeg), CraftedImages.ExifOrientationSegment(orientation));
        return ImageCase("exif-rotation", $"EXIF orientation {orientation}", image, Expect.AcceptOrReject);
    }

    private FuzzCase BadMultipart()
    {
        var id = NewId();
        var path = ProductPath(_catalog, Uri.EscapeDataString(id));
        var image = Seed();
        var variant = _random.Next(7);
        (string What, Func<HttpContent> Body) made = variant switch
        {
            0 => ("multipart without a boundary", () => Bytes(image, "multipart/form-data")),
            1 => ("boundary that never appears", () => Bytes(image, "multipart/form-data; boundary=nothere")),
            2 => ("body cut inside a part", () => Bytes(Cut(Form(image), 0.6), FormType)),
            3 => ("no parts", () => Bytes("--fuzz--\r\n"u8.ToArray(), FormType)),
            4 => ("image part under another name", () => Multipart(image, "picture")),
            5 => ("part without a Content-Disposition", () => Bytes(Encoding.ASCII.GetBytes("--fuzz\r\nContent-Type: image/jpeg\r\n\r\nxyz\r\n--fuzz--\r\n"), FormType)),
            _ => ("2000 empty parts", () => Bytes(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("--fuzz\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n", 2000)) + "--fuzz--\r\n"), FormType)),
        };
        return new FuzzCase("bad-multipart", made.What, Expect.Reject, () => new HttpRequestMessage(HttpMethod.Put, path) { Content = made.Body() });
    }

    private FuzzCase BadJson()
    {
        var nested = new string('[', 5000) + new string(']', 5000);
        string[] bodies =
        [
            "{", "[]", "null", "\"vector\"", "{\"vector\": \"abc\"}", "{\"vector\": [1, 2, 3]}", "{\"vector\": null, \"k\": 5}",
            "{\"vector\": [" + string.Join(",", Enumerable.Repeat("1e400", 512)) + "]}", "{\"vector\": [" + string.Join(",", Enumerable.Repeat("1", 512)) + "], \"k\": -1}",
            "{\"vector\": [" + string.Join(",", Enumerable.Repeat("1", 512)) + "], \"k\": 99999999999}", nested, "{\"vector\": " + nested + "}",
            "{\"vector\": [" + string.Join(",", Enumerable.Repeat("1", 512)) + "], \"ef\": 0}", "\u0000\u0001\u0002", "{\"vector\": [NaN]}",
        ];
        var body = bodies[_random.Next(bodies.Length)];
        var what = body.Length > 60 ? body[..60] + "…" : body;
        return new FuzzCase("bad-json", $"search body {what}", Expect.Reject,
            () => new HttpRequestMessage(HttpMethod.Post, $"/v1/catalogs/{_catalog}/search") { Content = Bytes(Encoding.UTF8.GetBytes(body), "application/json") });
    }

    private FuzzCase HugeHeader()
    {
        var size = _random.Next(2) == 0 ? 64 * 1024 : _random.Next(40_000, 1_000_000);
        var many = _random.Next(2) == 0;
        return new FuzzCase("huge-header", many ? $"{size / 100} headers" : $"one {size}-byte header", Expect.Reject, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/catalogs/{_catalog}");
            if (many)
            {
                for (var i = 0; i < size / 100; i++)
                {
                    request.Headers.TryAddWithoutValidation($"X-Fuzz-{i}", new string('a', 80));
                }
            }
            else
            {
                request.Headers.TryAddWithoutValidation("X-Fuzz", new string('a', size));
            }

            return request;
        });
    }

    private FuzzCase HugeBody()
    {
        var size = MaxRequestBytes + _random.Next(1, 2 * 1024 * 1024);
        var id = NewId();
        return new FuzzCase("huge-body", $"{size}-byte product write", Expect.Reject, () =>
        {
            var form = new MultipartFormDataContent("fuzz");
            var part = new ByteArrayContent(new byte[size]);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, "image", "big.jpg");
            return new HttpRequestMessage(HttpMethod.Put, ProductPath(_catalog, id)) { Content = form };
        });
    }

    private FuzzCase OddEncoding()
    {
        var variant = _random.Next(5);
        var vector = "{\"vector\": [" + string.Join(",", Enumerable.Repeat("0.5", 512)) + "], \"k\": 3}";
        return variant switch
        {
            0 => new FuzzCase("odd-encoding", "gzip Content-Encoding over garbage", Expect.Reject, () =>
            {
                var content = Bytes([1, 2, 3, 4, 5], "application/json");
                content.Headers.ContentEncoding.Add("gzip");
                return new HttpRequestMessage(HttpMethod.Post, $"/v1/catalogs/{_catalog}/search") { Content = content };
            }),
            1 => new FuzzCase("odd-encoding", "UTF-16 JSON search", Expect.AcceptOrReject,
                () => new HttpRequestMessage(HttpMethod.Post, $"/v1/catalogs/{_catalog}/search") { Content = Bytes(Encoding.Unicode.GetBytes(vector), "application/json; charset=utf-16") }),
            2 => new FuzzCase("odd-encoding", "JSON with an unknown charset", Expect.AcceptOrReject,
                () => new HttpRequestMessage(HttpMethod.Post, $"/v1/catalogs/{_catalog}/search") { Content = Bytes(Encoding.UTF8.GetBytes(vector), "application/json; charset=x-fuzz-42") }),
            3 => new FuzzCase("odd-encoding", "image as application/x-www-form-urlencoded", Expect.Reject,
                () => new HttpRequestMessage(HttpMethod.Put, ProductPath(_catalog, NewId())) { Content = Bytes(Seed(), "application/x-www-form-urlencoded") }),
            _ => new FuzzCase("odd-encoding", "metadata in Latin-1 with invalid UTF-8", Expect.Reject, () =>
            {
                var form = new MultipartFormDataContent("fuzz");
                var part = new ByteArrayContent(Seed());
                part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(part, "image", "a.jpg");
                form.Add(new ByteArrayContent([0x7B, 0x22, 0xE9, 0xFF, 0xFE, 0x22, 0x3A, 0x31]), "metadata");
                return new HttpRequestMessage(HttpMethod.Put, ProductPath(_catalog, NewId())) { Content = form };
            }),
        };
    }

    private FuzzCase PathTrick()
    {
        // Raw path segments, sent without the client normalising them. Catalog tricks must all be
        // refused; product ids are free text, so some are fine and must then read back as written.
        (string Segment, bool Refuse)[] catalogs =
        [
            ("..", true), ("%2e%2e", true), ("..%2F..%2Fetc", true), ("FUZZ", true), ("fuzz%00", true), ("fuzz%0A", true),
            ("_health", true), (new string('a', 300), true), ("fu%20zz", true), ("fuzz%2F..", true), ("%C0%AE%C0%AE", true), ("fuzz\\..", true),
        ];
        (string Segment, bool Refuse)[] products =
        [
            ("..%2F..%2Fsecret", false), ("%2e%2e", false), ("a%00b", true), ("line%0Abreak", true), ("%09tab", true), (new string('x', 2000), true),
            ("%F0%9F%91%97dress", false), ("con", false), ("a%20b", false), ("100%25", false), ("look%2F42", false), ("%252F", false),
            ("back%5Cslash", false), ("images", false), ("%FF%FE", false), ("%20", true),
        ];
        var image = Seed();
        if (_random.Next(3) == 0)
        {
            var (segment, _) = catalogs[_random.Next(catalogs.Length)];
            var method = _random.Next(3) switch { 0 => HttpMethod.Put, 1 => HttpMethod.Get, _ => HttpMethod.Delete };
            var path = _random.Next(2) == 0 ? $"/v1/catalogs/{segment}" : $"/v1/catalogs/{segment}/products/p1";
            return new FuzzCase("path-trick", $"{method} {Shorten(path)}", Expect.Reject, () => Raw(method, path, method == HttpMethod.Put ? Multipart(image, "image") : null));
        }

        var (product, refuse) = products[_random.Next(products.Length)];
        // Refused ids stay exactly as they are (a suffix would make " " a valid id); accepted ones are made unique.
        var unique = refuse ? product : $"{product}-{_idPrefix}{Interlocked.Increment(ref _ids)}";
        var writePath = ProductPath(_catalog, unique);
        return new FuzzCase("path-trick", $"PUT {Shorten(writePath)}", refuse ? Expect.Reject : Expect.AcceptOrReject,
            () => Raw(HttpMethod.Put, writePath, Multipart(image, "image")), Image: image);
    }

    private FuzzCase BadKey()
    {
        string[] keys =
        [
            "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer ofk_", "Bearer ofk_admin.", "Bearer ofk_admin.short",
            "Bearer ofk_../../etc.0123456789abcdef0123456789abcdef", "Bearer ofk_admin." + new string('z', 5000),
            "Bearer ofk_ADMIN.0123456789abcdef0123456789abcdef", "Bearer " + _adminKey[..^1] + "X", "Bearer ofk_admin.0123456789abcdef%000123456789abcdef",
        ];
        var key = keys[_random.Next(keys.Length)];
        return new FuzzCase("bad-key", $"Authorization: {Shorten(key)}", Expect.Reject, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/v1/cluster");
            request.Headers.TryAddWithoutValidation("Authorization", key);
            return request;
        });
    }

    private FuzzCase RawHttp()
    {
        string[] requests =
        [
            "GARBAGE\r\n\r\n",
            "GET /v1/cluster HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
            "POST /v1/catalogs/fuzz/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n",
            "POST /v1/catalogs/fuzz/search HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789",
            "POST /v1/catalogs/fuzz/search HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
            "GET /v1/catalogs/fuzz HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n",
            "GET /v1/catalogs/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET http://evil.example/v1/cluster HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /v1/catalogs/fuzz HTTP/1.1\r\n\r\n",
        ];
        // With a valid key, so that what is wrong is the framing, not the missing key.
        var raw = requests[_random.Next(requests.Length)].Replace("Host: x\r\n", $"Host: x\r\nAuthorization: Bearer {_adminKey}\r\n", StringComparison.Ordinal);
        return new FuzzCase("raw-http", Shorten(raw.Split('\r')[0]), Expect.Reject, Request: null, Raw: Encoding.Latin1.GetBytes(raw));
    }

    /// <summary>A mutated image sent either as a product write (unique id, read back if accepted) or as a photo search.</summary>
    private FuzzCase ImageCase(string kind, string what, byte[] image, Expect expect)
    {
        if (_random.Next(2) == 0)
        {
            var form = new Func<HttpContent>(() => Multipart(image, "image"));
            return new FuzzCase(kind, $"search: {what}", expect,
                () => new HttpRequestMessage(HttpMethod.Post, $"/v1/catalogs/{_catalog}/search?k=3") { Content = form() });
        }

        var id = $"{kind}-{NewId()}";
        return new FuzzCase(kind, $"write {id}: {what}", expect,
            () => new HttpRequestMessage(HttpMethod.Put, ProductPath(_catalog, id)) { Content = Multipart(image, "image") }, Image: image);
    }

    private static HttpRequestMessage Raw(HttpMethod method, string path, HttpContent? content) =>
        new(method, new Uri("http://fuzz.invalid" + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true })) { Content = content };

    private const string FormType = "multipart/form-data; boundary=fuzz";

    private static string ProductPath(string catalog, string escapedId) => $"/v1/catalogs/{catalog}/products/{escapedId}";

    private static ByteArrayContent Bytes(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    private static MultipartFormDataContent Multipart(byte[] image, string name)
    {
        var form = new MultipartFormDataContent("fuzz");
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(part, name, "fuzz.jpg");
        return form;
    }

    private static byte[] Form(byte[] image)
    {
        using var form = Multipart(image, "image");
        return form.ReadAsByteArrayAsync().GetAwaiter().GetResult();
    }

    private static byte[] Cut(byte[] bytes, double keep) => bytes[..(int)(bytes.Length * keep)];

    private static byte[] WithExif(byte[] jpeg, byte[] app1) => [.. jpeg[..2], .. app1, .. jpeg[2..]];

    private static SKBitmap Reencode(SKBitmap source, SKColorType colorType) =>
        source.Copy(colorType) ?? throw new InvalidOperationException($"Skia cannot convert to {colorType}.");

    private static string Shorten(string text) => text.Length > 80 ? $"{text[..80]}… ({text.Length} chars)" : text;

    private string NewId() => $"{_idPrefix}f{Interlocked.Increment(ref _ids)}";

    private byte[] Seed() => _seeds[_random.Next(_seeds.Length)];

    /// <summary>Small valid images in every format the gateway reads, the material the mutations start from.</summary>
    private static IEnumerable<byte[]> SeedImages()
    {
        foreach (var (_, spec) in GarmentCatalog.Generate(3, seed: 77))
        {
            using var full = GarmentImages.Draw(spec);
            using var small = GarmentImages.Resize(full, 64, 80);
            yield return GarmentImages.Encode(small, SKEncodedImageFormat.Jpeg);
            yield return GarmentImages.Encode(small, SKEncodedImageFormat.Png);
            yield return GarmentImages.Encode(small, SKEncodedImageFormat.Webp);
            yield return CraftedImages.AnimatedGif(small);
        }
    }
}
