# Installs what the tests and the local cluster need beyond the .NET SDK. Sourced by scripts/test.sh
# and scripts/cluster.sh from the repository root; each function returns non-zero when it cannot install.

# Azurite, the Azure Storage emulator (Blob for the storage adapter, Table for cluster membership):
# installed from npm into .tools/ (ignored by git) when missing or at another version. Pinned to the
# newest release whose declared engines include Node.js 20, the machines' Node.js.
azurite_version="3.35.0"
ensure_azurite() {
  local installed
  installed="$(node -p "require('./.tools/node_modules/azurite/package.json').version" 2>/dev/null)"
  if [ -x .tools/node_modules/.bin/azurite-blob ] && [ -x .tools/node_modules/.bin/azurite-table ] && [ "$installed" = "$azurite_version" ]; then
    return 0
  fi
  echo "installing azurite $azurite_version into .tools/" >&2
  npm install --prefix .tools --save-exact --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null
}

# redis-server, for cluster membership on Redis: Debian's package, installed with apt-get when missing
# (as root, or through sudo when it asks no password). The package index is fetched only when apt
# knows no candidate for it, as on a fresh container.
ensure_redis() {
  ensure_apt_command redis-server redis-server
}

# Installs Debian packages with apt-get when the command the first provides is missing (as root, or through sudo
# when it asks no password), without recommended packages: the tests need the command, not a desktop or an engine.
# The package index is fetched only when apt knows no candidate for the package.
# Usage: ensure_apt_command COMMAND PACKAGE [MORE PACKAGES]
ensure_apt_command() {
  local command="$1" package="$2"
  local packages=("${@:2}")
  command -v "$command" >/dev/null 2>&1 && return 0
  local apt=(apt-get)
  if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || { echo "$command is missing and apt-get needs root" >&2; return 1; }
    apt=(sudo -n apt-get)
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "$command is missing and this machine has no apt-get" >&2; return 1; }
  echo "installing ${packages[*]} with apt-get" >&2
  if ! apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    "${apt[@]}" update -qq >/dev/null || return 1
  fi
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null \
    && command -v "$command" >/dev/null 2>&1
}

# docker-compose, to validate docker-compose.yml offline (`docker-compose config` needs no engine): Debian's package.
ensure_docker_compose() {
  ensure_apt_command docker-compose docker-compose
}

# kubectl, to render the Kustomize overlays under deploy/k8s offline (`kubectl kustomize` needs no cluster): the
# package apt serves under that name, else Debian's kubernetes-client.
ensure_kubectl() {
  command -v kubectl >/dev/null 2>&1 && return 0
  ensure_apt_command kubectl kubectl 2>/dev/null || ensure_apt_command kubectl kubernetes-client
}

# Chromium for the browser tests (tests/Browser.Tests, Playwright driving the system browser through
# its executable path; Playwright's own browser download is not used). Debian's package, installed
# with apt-get when missing, like redis-server. Prints nothing on success; OUTFIT_CHROMIUM names
# another browser binary.
ensure_chromium() {
  if [ -n "${OUTFIT_CHROMIUM:-}" ] && [ -x "$OUTFIT_CHROMIUM" ]; then
    return 0
  fi
  ensure_apt_command chromium chromium fonts-dejavu-core
}

# The API document's checks (tests/Gateway.Tests/OpenApiDocumentTests.cs): Redocly's linter, and
# openapi-typescript + openapi-fetch + TypeScript to build and type-check a client from the served
# document. Installed from npm into .tools/ beside azurite, at pinned versions.
openapi_tools=("@redocly/cli@2.77.0" "openapi-typescript@7.13.0" "openapi-fetch@0.17.0" "typescript@5.9.3")
ensure_openapi_tools() {
  local missing=0 spec name version installed
  for spec in "${openapi_tools[@]}"; do
    name="${spec%@*}"; version="${spec##*@}"
    installed="$(node -p "require('./.tools/node_modules/$name/package.json').version" 2>/dev/null)"
    [ "$installed" = "$version" ] || missing=1
  done
  [ $missing -eq 0 ] && return 0
  echo "installing ${openapi_tools[*]} into .tools/" >&2
  npm install --prefix .tools --save-exact --no-audit --no-fund --loglevel=error "${openapi_tools[@]}" >/dev/null
}
