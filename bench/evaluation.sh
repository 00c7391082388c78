#!/usr/bin/env bash
# Reproduces docs/evaluation.md: consumer-to-shop retrieval accuracy of the white-box features,
# ResNet18 and ResNet18 with a learned metric head, on synthetic consumer views of the real
# labelled photos. One command, fixed seeds; about 30 minutes on a 2-core machine without a GPU.
#
#   bench/evaluation.sh            # photos from ../shared/data/clothing, work files in .eval/
#   OUTFIT_PHOTOS=DIR OUTFIT_EVAL_DIR=DIR bench/evaluation.sh
#
# Writes the charts and maps to docs/images/ and the tables (Markdown) to $OUTFIT_EVAL_DIR/results/tables.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
photos=${OUTFIT_PHOTOS:-$root/../shared/data/clothing}
work=${OUTFIT_EVAL_DIR:-$root/.eval}
seed=1
port=${OUTFIT_EVAL_PORT:-5199}
gateway=http://127.0.0.1:$port
ks=1,5,10,20

if [[ ! -f $photos/images.csv ]]; then
    echo "evaluation skipped: no labelled photos at $photos (set OUTFIT_PHOTOS to a folder with images.csv and images/)."
    exit 0
fi

cd "$root"
dotnet build src/Cli -c Release -v quiet -nologo
dotnet build src/Gateway -c Release -v quiet -nologo
outfit() { dotnet "$root/src/Cli/bin/Release/net10.0/outfit.dll" "$@"; }

mkdir -p "$work/results" "$work/heads" docs/images

# 1. Pairs: split by sender, synthetic consumer views, fixed seed.
if [[ ! -f $work/pairs/test_queries.csv ]]; then
    outfit pairs --photos "$photos" --out "$work/pairs" --seed $seed --test-fraction 0.2 --category-fraction 0.1 --views 2
fi

# 2. A metric head trained on the training pairs only, with the trainer's default settings.
if [[ ! -f $work/heads/clothing.head ]]; then
    outfit train --pairs "$work/pairs/train_pairs.csv" --base resnet18 --out "$work/heads/clothing.head" --seed $seed
fi

# 3. A gateway with its own storage and the head folder.
rm -rf "$work/storage"
dotnet run --project src/Gateway -c Release --no-build -- \
    --urls "$gateway" --Storage:Root="$work/storage" --Extraction:HeadsFolder="$work/heads" > "$work/results/gateway.log" 2>&1 &
gateway_pid=$!
trap 'kill $gateway_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -fs "$gateway/health/ready" > /dev/null 2>&1 && break
    sleep 2
done
curl -fs "$gateway/health/ready" > /dev/null || { echo "gateway did not start; see $work/results/gateway.log"; exit 1; }

# 4. One catalog per model and metric, each holding the test products' shop photos.
catalogs=(whitebox-l1 whitebox-l2 whitebox-cosine resnet18 resnet18-head)
declare -A model=([whitebox-l1]=whitebox [whitebox-l2]=whitebox [whitebox-cosine]=whitebox [resnet18]=resnet18 [resnet18-head]=resnet18+clothing)
declare -A metric=([whitebox-l1]=l1 [whitebox-l2]=l2 [whitebox-cosine]=cosine [resnet18]=cosine [resnet18-head]=cosine)
for c in "${catalogs[@]}"; do
    outfit --gateway "$gateway" catalog create "$c" --model "${model[$c]}" --metric "${metric[$c]}"
    outfit --gateway "$gateway" ingest --catalog "$c" --manifest "$work/pairs/test_shop.csv" --parallel 4
done

# 5. Instance queries (consumer views of test products) and category queries (untouched photos of
#    other senders): the four baselines in one run, the head in another (it can be retrained and
#    evaluated again alone), then one chart per query set from the saved results.
for set in instance category; do
    mkdir -p "$work/results/$set"
    queries=$work/pairs/test_queries.csv
    [[ $set == category ]] && queries=$work/pairs/test_category_queries.csv
    outfit --gateway "$gateway" eval --catalog whitebox-l1 --catalog whitebox-l2 --catalog whitebox-cosine --catalog resnet18 \
        --queries "$queries" --k $ks --parallel 4 --json > "$work/results/$set/baselines.json"
    outfit --gateway "$gateway" eval --catalog resnet18-head \
        --queries "$queries" --k $ks --parallel 4 --json > "$work/results/$set/resnet18-head.json"
done
outfit chart --results "$work/results/instance/baselines.json" "$work/results/instance/resnet18-head.json" --k 20 \
    --out docs/images/evaluation-instance-top20.png --title "Consumer view → product: top-20 accuracy (synthetic views of real photos)"
outfit chart --results "$work/results/instance/baselines.json" "$work/results/instance/resnet18-head.json" --k 1 \
    --out docs/images/evaluation-instance-top1.png --title "Consumer view → product: top-1 accuracy (synthetic views of real photos)"
outfit chart --results "$work/results/category/baselines.json" "$work/results/category/resnet18-head.json" --k 1 \
    --out docs/images/evaluation-category-top1.png --title "Untouched photo → product of its category: top-1 accuracy"

# 6. Embedding maps of the gallery.
outfit --gateway "$gateway" tsne --catalog resnet18 --out docs/images/tsne-resnet18.png --max 2000 --seed $seed --perplexity 30
outfit --gateway "$gateway" tsne --catalog resnet18-head --out docs/images/tsne-resnet18-head.png --max 2000 --seed $seed --perplexity 30

# 7. Markdown tables from the JSON.
python3 - "$work/results" <<'PY'
import json, sys, os
folder = sys.argv[1]
out = []
for name, title in (("instance", "Instance queries (consumer view → its product)"), ("category", "Category queries (untouched photo → any product of its label)")):
    data = json.load(open(os.path.join(folder, name, "baselines.json")))["catalogs"]
    head = json.load(open(os.path.join(folder, name, "resnet18-head.json")))
    data.append(dict(head, catalog="resnet18-head"))
    ks = data[0]["k"]
    groups = ["overall"] + sorted({c["category"] for d in data for c in d["categories"]})
    out.append(f"### {title}\n")
    for group in groups:
        n = next((d["overall"] if group == "overall" else next(c for c in d["categories"] if c["category"] == group))["queries"]
                 for d in data if group == "overall" or any(c["category"] == group for c in d["categories"]))
        out.append(f"**{group}** (n = {n})\n")
        out.append("| model | " + " | ".join(f"top-{k}" for k in ks) + (" | MRR |" if name == "instance" else " |"))
        out.append("|---|" + "---:|" * (len(ks) + (1 if name == "instance" else 0)))
        for d in data:
            row = d["overall"] if group == "overall" else next((c for c in d["categories"] if c["category"] == group), None)
            if row is None:
                continue
            cells = [f"{100 * row['accuracy'][str(k)]:.1f}%" for k in ks]
            if name == "instance":
                cells.append(f"{row['mrr']:.3f}" if row.get("mrr") is not None else "-")
            out.append(f"| {d['catalog']} | " + " | ".join(cells) + " |")
        out.append("")
open(os.path.join(folder, "tables.md"), "w").write("\n".join(out) + "\n")
print("tables written to", os.path.join(folder, "tables.md"))
PY
