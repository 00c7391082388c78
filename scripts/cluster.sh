#!/usr/bin/env bash
# A cluster of real processes on this machine: a membership store, N silos (src/Silo) and the gateway
# as an Orleans client, every one on its own loopback ports, with logs and pids in one run folder.
#
# Usage: scripts/cluster.sh up N [--provider redis|azure] [--gpu K]
#                                          start N silos (the first K told they have a GPU); prints
#                                          OUTFIT_API_KEY=<admin key> on a line of its own (also saved as
#                                          api-key in the run folder) and the gateway's URL last, alone on its line
#        scripts/cluster.sh join [--gpu]   start one more silo in the running cluster; prints its address
#        scripts/cluster.sh restart [--settle S]  restart every running silo, one at a time: SIGTERM, wait for it
#                                          to exit, start it again (new ports), wait until it answers, then S
#                                          seconds (default 15) for shards and replicas to settle before the next
#        scripts/cluster.sh down           stop exactly what "up" and "join" started
#        scripts/cluster.sh status         list what runs
#
# Environment: OUTFIT_CLUSTER_RUN    the run folder (default .cluster/ in the repository)
#              OUTFIT_CLUSTER_NO_BUILD=1  use the Release builds already in src/*/bin
#              OUTFIT_SILO_ARGS      extra settings for every silo, e.g. "--Extraction:Gpu=true"
#              OUTFIT_GATEWAY_ARGS   extra settings for the gateway
#              OUTFIT_API_KEY        the bootstrap admin key to seed (ofk_<id>.<secret>); default: a new random one
#              OUTFIT_SILO_HEAP_LIMIT_MB  cap every silo's managed heap (DOTNET_GCHeapHardLimit), e.g. 512
set -uo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
run="${OUTFIT_CLUSTER_RUN:-$repo/.cluster}"
mkdir -p "$(dirname "$run")"
run="$(cd "$(dirname "$run")" && pwd)/$(basename "$run")"

die() { echo "cluster.sh: $*" >&2; exit 1; }
# Exit status 3: the membership store is missing and could not be installed (tests skip on it).
unavailable() { echo "cluster.sh: $*" >&2; exit 3; }

# Sets the variable named $1 to a port nothing listens on now, from a range the kernel does not hand out as
# ephemeral ports by default, and never to one it gave before: the ports of processes started a moment ago
# may not be listening yet. It assigns rather than prints, because $(free_port) would run in a subshell and
# forget what it had handed out.
taken=" "
free_port() {
  local -n chosen="$1"
  local candidate
  for _ in $(seq 1 200); do
    candidate=$((20000 + RANDOM % 12000))
    case "$taken" in *" $candidate "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      taken="$taken$candidate "
      chosen="$candidate"
      return 0
    fi
  done
  die "no free loopback port found"
}

# Starts a process in the background with its output in the run folder and records "name pid".
start() {
  local name="$1"; shift
  nohup "$@" >"$run/logs/$name.log" 2>&1 &
  echo "$name $!" >>"$run/pids"
}

# Waits until the URL answers 200, or the process behind it exits, or the time is up.
wait_http() {
  local name="$1" url="$2" seconds="$3" pid
  pid="$(awk -v n="$name" '$1 == n { print $2 }' "$run/pids")"
  for _ in $(seq 1 $((seconds * 4))); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$run/logs/$name.log" >&2; die "$name exited; its log is $run/logs/$name.log"; }
    sleep 0.25
  done
  tail -n 20 "$run/logs/$name.log" >&2
  die "$name did not answer $url within ${seconds}s; its log is $run/logs/$name.log"
}

wait_port() {
  local name="$1" port="$2" seconds="$3"
  for _ in $(seq 1 $((seconds * 4))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.25
  done
  die "$name did not listen on 127.0.0.1:$port within ${seconds}s; its log is $run/logs/$name.log"
}

alive() { [ -f "$run/pids" ] && while read -r name pid; do kill -0 "$pid" 2>/dev/null && echo "$name $pid"; done <"$run/pids"; }

# Sends TERM to the pids, waits up to 15s for them to exit, then KILLs what is left.
stop_pids() {
  local pid left
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 1 60); do
    left=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left=1; done
    [ $left -eq 0 ] && return 0
    sleep 0.25
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null && echo "killed $pid, which did not stop within 15s"; done
}

down() {
  [ -f "$run/pids" ] || { echo "nothing started from $run"; return 0; }
  # The gateway, then the silos, then the store: a silo leaving gracefully writes to the store,
  # so the store must outlive them.
  stop_pids $(awk '$1 == "gateway" { print $2 }' "$run/pids")
  stop_pids $(awk '$1 ~ /^silo/ { print $2 }' "$run/pids")
  stop_pids $(awk '$1 == "redis" || $1 == "azurite" { print $2 }' "$run/pids")
  while read -r name pid; do echo "stopped $name ($pid)"; done <"$run/pids"
  rm -f "$run/pids"
}

status() {
  [ -f "$run/pids" ] || { echo "nothing started from $run"; return 0; }
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then state=running; else state=exited; fi
    printf '%-10s %-8s %-8s %s\n' "$name" "$pid" "$state" "$(grep -h "^$name " "$run/endpoints" 2>/dev/null | cut -d' ' -f2-)"
  done <"$run/pids"
}

# Starts silo number $1 with the cluster's saved settings; $2 is "gpu" for a silo told it has a GPU.
# Settings are read from the run folder, so "join" starts a silo exactly like "up" did.
start_silo() {
  local i="$1" gpu="${2:-}" silo_port gateway_port http_port
  local settings=() silo_args=()
  mapfile -t settings <"$run/settings"
  # shellcheck disable=SC2206
  silo_args=(${OUTFIT_SILO_ARGS:-})
  # Given last, so it wins over an Extraction:Gpu in OUTFIT_SILO_ARGS.
  [ "$gpu" = gpu ] && silo_args+=(--Extraction:Gpu=true)
  free_port silo_port; free_port gateway_port; free_port http_port
  local heap=()
  if [ -n "${OUTFIT_SILO_HEAP_LIMIT_MB:-}" ]; then
    [[ "$OUTFIT_SILO_HEAP_LIMIT_MB" =~ ^[1-9][0-9]*$ ]] || die "OUTFIT_SILO_HEAP_LIMIT_MB is '$OUTFIT_SILO_HEAP_LIMIT_MB'; give a number of MiB"
    heap=(env "DOTNET_GCHeapHardLimit=$(printf '0x%x' $((OUTFIT_SILO_HEAP_LIMIT_MB * 1024 * 1024)))")
  fi
  start "silo$i" "${heap[@]}" dotnet "$run/silo.dll" "${settings[@]}" --Cluster:AdvertisedIP=127.0.0.1 \
    "--Cluster:SiloPort=$silo_port" "--Cluster:GatewayPort=$gateway_port" "--urls=http://127.0.0.1:$http_port" "${silo_args[@]}"
  echo "silo$i 127.0.0.1:$silo_port gateway=127.0.0.1:$gateway_port http://127.0.0.1:$http_port${gpu:+ gpu}" >>"$run/endpoints"
}

wait_silo() {
  wait_http "silo$1" "$(awk -v n="silo$1" '$1 == n { print $4 }' "$run/endpoints")/health/live" 120
}

join() {
  local gpu=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --gpu) gpu=gpu; shift ;;
      *) die "usage: scripts/cluster.sh join [--gpu]" ;;
    esac
  done
  [ -f "$run/settings" ] && [ -n "$(alive)" ] || die "no cluster runs from $run; scripts/cluster.sh up N first"
  local i=$(( $(grep -c '^silo' "$run/endpoints") + 1 ))
  start_silo "$i" "$gpu"
  wait_silo "$i"
  echo "silo$i joined; logs in $run/logs/silo$i.log"
  awk -v n="silo$i" '$1 == n { print $2 }' "$run/endpoints"
}

# Restarts each running silo in turn. With replicas (a catalog's "replicas" of 2 or more) searches keep whole
# answers throughout: the silo going down leaves every shard a copy elsewhere, and the settle time lets the writers'
# replica checks (Cluster:Replicas:CheckInterval) place copies on the restarted silo before the next one goes.
restart() {
  local settle=15
  while [ $# -gt 0 ]; do
    case "$1" in
      --settle) settle="${2:-}"; shift 2 ;;
      --settle=*) settle="${1#*=}"; shift ;;
      *) die "usage: scripts/cluster.sh restart [--settle SECONDS]" ;;
    esac
  done
  [[ "$settle" =~ ^[0-9]+$ ]] || die "--settle is '$settle'; give a whole number of seconds"
  [ -f "$run/settings" ] && [ -n "$(alive)" ] || die "no cluster runs from $run; scripts/cluster.sh up N first"
  local name pid i gpu
  for name in $(alive | awk '$1 ~ /^silo/ { print $1 }'); do
    pid="$(awk -v n="$name" '$1 == n { print $2 }' "$run/pids")"
    i="${name#silo}"
    gpu="$(awk -v n="$name" '$1 == n && $NF == "gpu" { print "gpu" }' "$run/endpoints")"
    echo "restarting $name ($pid)"
    stop_pids "$pid"
    # The old lines go; start_silo writes the new pid and ports under the same name.
    sed -i "/^$name /d" "$run/pids" "$run/endpoints"
    start_silo "$i" "$gpu"
    wait_silo "$i"
    echo "$name is back: $(awk -v n="$name" '$1 == n { print $2 }' "$run/endpoints"); settling ${settle}s"
    sleep "$settle"
  done
  echo "every silo restarted"
}

up() {
  local count="${1:-}" provider=redis gpus=0
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/cluster.sh up N [--provider redis|azure] [--gpu K]"
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --provider) provider="${2:-}"; shift 2 ;;
      --provider=*) provider="${1#*=}"; shift ;;
      --gpu) gpus="${2:-}"; shift 2 ;;
      --gpu=*) gpus="${1#*=}"; shift ;;
      *) die "unknown argument '$1'" ;;
    esac
  done
  [[ "$gpus" =~ ^[0-9]+$ ]] && [ "$gpus" -le "$count" ] || die "--gpu is '$gpus'; give how many of the $count silos have a GPU"
  [ -n "$(alive)" ] && die "a cluster from $run still runs; scripts/cluster.sh down first"
  rm -rf "$run"
  mkdir -p "$run/logs" "$run/storage"
  : >"$run/pids"
  : >"$run/endpoints"
  # Whatever ends "up" early (a failed wait, a missing build, an interrupt) stops what it started.
  trap 'status=$?; trap - EXIT; if [ $status -ne 0 ]; then echo "start failed; stopping what started" >&2; down >&2; fi; exit $status' EXIT

  source scripts/tools.sh
  local settings=()
  case "$provider" in
    redis)
      ensure_redis || unavailable "redis-server is missing and could not be installed"
      local redis_port; free_port redis_port
      mkdir -p "$run/redis"
      start redis redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$run/redis" --save "" --appendonly no
      wait_port redis "$redis_port" 20
      echo "redis 127.0.0.1:$redis_port" >>"$run/endpoints"
      settings=(--Cluster:Provider=Redis "--Cluster:Redis:ConnectionString=127.0.0.1:$redis_port")
      ;;
    azure)
      ensure_azurite || unavailable "azurite could not be installed into .tools/"
      local table_port; free_port table_port
      mkdir -p "$run/azurite"
      start azurite "$repo/.tools/node_modules/.bin/azurite-table" --tableHost 127.0.0.1 --tablePort "$table_port" \
        --location "$run/azurite" --silent --skipApiVersionCheck --disableProductStyleUrl
      wait_port azurite "$table_port" 30
      echo "azurite http://127.0.0.1:$table_port" >>"$run/endpoints"
      # Azurite's well-known development account.
      settings=(--Cluster:Provider=AzureStorage "--Cluster:AzureStorage:ConnectionString=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;")
      ;;
    *) die "--provider is '$provider'; use redis or azure" ;;
  esac
  settings+=("--Cluster:ClusterId=local-$$" "--Storage:Root=$run/storage")

  if [ "${OUTFIT_CLUSTER_NO_BUILD:-}" != "1" ]; then
    dotnet build src/Silo --configuration Release --nologo --verbosity quiet >"$run/logs/build.log" 2>&1 || die "src/Silo did not build; see $run/logs/build.log"
    dotnet build src/Gateway --configuration Release --nologo --verbosity quiet >>"$run/logs/build.log" 2>&1 || die "src/Gateway did not build; see $run/logs/build.log"
  fi
  local silo_dll="$repo/src/Silo/bin/Release/net10.0/OutfitFinder.Silo.dll" gateway_dll="$repo/src/Gateway/bin/Release/net10.0/OutfitFinder.Gateway.dll"
  [ -f "$silo_dll" ] && [ -f "$gateway_dll" ] || die "no Release build of src/Silo and src/Gateway; run without OUTFIT_CLUSTER_NO_BUILD"

  # The built silo is referenced from the run folder, so "join" finds the same build "up" used.
  ln -sf "$silo_dll" "$run/silo.dll"
  printf '%s\n' "${settings[@]}" >"$run/settings"
  local i http_port
  for i in $(seq 1 "$count"); do
    if [ "$i" -le "$gpus" ]; then start_silo "$i" gpu; else start_silo "$i"; fi
  done
  for i in $(seq 1 "$count"); do
    wait_silo "$i"
  done

  # The gateway is a cluster client, so keys are on (Auth:Mode=Keys): seed an admin key with every scope
  # through the environment, where other users cannot read it the way they can read a command line.
  local api_key="${OUTFIT_API_KEY:-}"
  if [ -z "$api_key" ]; then
    api_key="ofk_admin.$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  fi
  (umask 077 && printf '%s\n' "$api_key" >"$run/api-key")

  # shellcheck disable=SC2206
  local gateway_args=(${OUTFIT_GATEWAY_ARGS:-})
  free_port http_port
  Auth__BootstrapKey="$api_key" start gateway dotnet "$gateway_dll" "${settings[@]}" --Cluster:Mode=Client "--urls=http://127.0.0.1:$http_port" "${gateway_args[@]}"
  echo "gateway http://127.0.0.1:$http_port" >>"$run/endpoints"
  wait_http gateway "http://127.0.0.1:$http_port/health/ready" 120
  trap - EXIT
  echo "cluster of $count silos ($gpus with a GPU) on $provider; logs in $run/logs; stop it with scripts/cluster.sh down"
  echo "admin API key (every scope; make narrower ones with 'outfit keys create'), also in $run/api-key:"
  echo "OUTFIT_API_KEY=$api_key"
  echo "http://127.0.0.1:$http_port"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  join) shift; join "$@" ;;
  restart) shift; restart "$@" ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/cluster.sh up N [--provider redis|azure] [--gpu K] | join [--gpu] | restart [--settle S] | down | status" ;;
esac
