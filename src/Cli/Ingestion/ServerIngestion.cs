using System.Globalization;
using OutfitFinder.Cli.Http;
using Spectre.Console;

namespace OutfitFinder.Cli.Ingestion;

/// <summary>
/// <c>outfit ingest --source NAME --manifest PATH</c> and <c>--attach ID</c>: starts (or finds) a
/// server-side job and follows it to its end. The job runs in the cluster, so the gateway going away
/// does not stop it: the follower keeps asking until the gateway answers again and re-attaches.
/// </summary>
internal sealed class ServerIngestion(CliServices services, GatewayClient client, TimeSpan pollInterval, TimeSpan reattachTimeout)
{
    public async Task<int> StartAsync(string catalog, StartIngestionBody body, CancellationToken cancellationToken)
    {
        var job = await client.StartIngestionAsync(catalog, body, cancellationToken);
        services.Out.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Ingestion [bold]{Markup.Escape(job.Id)}[/] of '{Markup.Escape(job.Manifest)}' from source '{Markup.Escape(job.Source)}' into catalog [bold]{Markup.Escape(catalog)}[/]."));
        return await FollowAsync(catalog, job, cancellationToken);
    }

    public async Task<int> AttachAsync(string catalog, string id, CancellationToken cancellationToken)
    {
        var job = await client.GetIngestionAsync(catalog, id, cancellationToken);
        services.Out.MarkupLine($"Attached to ingestion [bold]{Markup.Escape(job.Id)}[/] of '{Markup.Escape(job.Manifest)}'.");
        return await FollowAsync(catalog, job, cancellationToken);
    }

    private async Task<int> FollowAsync(string catalog, IngestionInfo job, CancellationToken cancellationToken)
    {
        if (services.Out.Profile.Out.IsTerminal && services.Out.Profile.Capabilities.Interactive)
        {
            job = await services.Out.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var bar = context.AddTask(Describe(job), maxValue: Math.Max(1, job.Total ?? 1));
                    return await PollAsync(catalog, job, latest =>
                    {
                        bar.MaxValue = Math.Max(1, latest.Total ?? latest.Done + 1);
                        bar.Value = latest.Done;
                        bar.Description = Markup.Escape(Describe(latest));
                    }, cancellationToken);
                });
        }
        else
        {
            var lastLine = DateTime.MinValue;
            job = await PollAsync(catalog, job, latest =>
            {
                if (DateTime.UtcNow - lastLine >= TimeSpan.FromSeconds(5) || !latest.IsRunning)
                {
                    lastLine = DateTime.UtcNow;
                    services.Out.Profile.Out.Writer.WriteLine(Describe(latest));
                }
            }, cancellationToken);
        }

        return Summarise(job);
    }

    private async Task<IngestionInfo> PollAsync(string catalog, IngestionInfo job, Action<IngestionInfo> show, CancellationToken cancellationToken)
    {
        show(job);
        var unreachableSince = (DateTime?)null;
        while (job.IsRunning)
        {
            await Task.Delay(pollInterval, cancellationToken);
            try
            {
                job = await client.GetIngestionAsync(catalog, job.Id, cancellationToken);
                if (unreachableSince is not null)
                {
                    services.Error.WriteWarning("The gateway answers again; re-attached to the job.");
                    unreachableSince = null;
                }
            }
            catch (Exception ex) when (ex is GatewayUnreachableException || (ex is GatewayException { Status: null } && !cancellationToken.IsCancellationRequested))
            {
                // A restarting gateway: the job goes on in the cluster, so wait for the gateway rather than give up.
                if (unreachableSince is null)
                {
                    unreachableSince = DateTime.UtcNow;
                    services.Error.WriteWarning($"The gateway is not answering ({ex.Message}); waiting to re-attach to job {job.Id}.");
                }
                else if (DateTime.UtcNow - unreachableSince > reattachTimeout)
                {
                    throw;
                }
            }

            show(job);
        }

        return job;
    }

    internal static string Describe(IngestionInfo job)
    {
        var total = job.Total is { } t ? t.ToString(CultureInfo.InvariantCulture) : "?";
        var eta = job.EtaSeconds is { } seconds && job.IsRunning ? string.Create(CultureInfo.InvariantCulture, $", ETA {TimeSpan.FromSeconds(Math.Round(seconds)):g}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{job.State}: {job.Done}/{total} rows, {job.Succeeded} stored, {job.Failed} failed, {job.Skipped} skipped, {job.ImagesPerSecond:0.0} images/s{eta}");
    }

    /// <summary>
    /// The last line: what was stored first, then what went wrong, then the state in words, so that a
    /// job that stored nothing never reads as a success.
    /// </summary>
    internal static string Summary(IngestionInfo job)
    {
        var total = job.Total is { } t ? t.ToString(CultureInfo.InvariantCulture) : "?";
        var state = job.State switch
        {
            "completedWithErrors" => "completed with errors",
            var other => other,
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"{job.Succeeded} of {total} rows stored, {job.Failed} failed, {job.Skipped} skipped: {state} ({job.ImagesPerSecond:0.0} images/s).");
    }

    private int Summarise(IngestionInfo job)
    {
        foreach (var failure in job.Failures.Take(IngestCommand.ListedProblems))
        {
            var product = failure.ProductId is null ? "" : $" (product '{failure.ProductId}')";
            services.Error.WriteWarning(string.Create(CultureInfo.InvariantCulture, $"row {failure.Row}{product}: {failure.Reason}"));
        }

        var unlisted = job.Failed - Math.Min(job.Failures.Count, IngestCommand.ListedProblems);
        if (unlisted > 0)
        {
            services.Error.WriteWarning(string.Create(CultureInfo.InvariantCulture, $"… and {unlisted} more bad rows."));
        }

        if (job.Error is not null)
        {
            services.Error.WriteError(job.Error);
        }

        var line = Summary(job);
        var clean = job.State == "succeeded" && job.Failed == 0 && job.Skipped == 0;
        services.Out.MarkupLine(clean ? $"[green]{Markup.Escape(line)}[/]" : $"[red]{Markup.Escape(line)}[/]");
        return clean ? ExitCodes.Success : ExitCodes.Failure;
    }
}
