#!/usr/bin/env bash
# Builds the API image from api/Dockerfile in two steps, so that a code change rebuilds only the app:
#  1. the dependency stages (everything above the "==== app stages" line) as two images tagged by a hash of
#     all they read: that part of the Dockerfile, uv.lock, the workspace's pyproject files, the base
#     images' ids and a --platform option. Only when missing:  macro-ai-api-deps:<hash>-build (stage deps: uv and the venv) and
#     macro-ai-api-deps:<hash> (stage deps-runtime: the runtime without the project).
#  2. the app stages (below that line) FROM those two images, from a Dockerfile derived on the fly.
# The result is the image that `docker build -f api/Dockerfile .` makes in one go (BuildKit, compose and the
# delivery workflow build that way). Why: buildah 1.28 (the container engine kit) makes a working container
# for every instruction of every stage even when cached, and re-hashes the 109 MB virtualenv for its
# `COPY --from=deps`; FROM an image costs neither (docs/container.md, "Building").
#
# usage, from the repository root:  api/build-image.sh TAG [docker build options, e.g. --build-arg VERSION=1]
# DEPS_IMAGE_PRINT=1 only prints the dependency images' tag prefix (macro-ai-api-deps:<hash>).
set -euo pipefail

tag=${1:?usage: api/build-image.sh TAG [docker build options]}
shift
dockerfile=api/Dockerfile
marker='^# ==== app stages'
grep -q "$marker" "$dockerfile" || { echo "build-image.sh: no '# ==== app stages' line in $dockerfile" >&2; exit 2; }

# a target platform is built into the dependency images too, and is part of their key
platform=()
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    --platform=*) platform=("${!i}") ;;
    --platform) j=$((i + 1)); platform=("--platform=${!j}") ;;
  esac
done

sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi; }  # Linux | macOS

deps_part=$(sed "/$marker/,\$d" "$dockerfile")
# the images the dependency stages start from (FROM names that are not stages of the file)
stages=$(awk 'toupper($1) == "FROM" && toupper($3) == "AS" {print $4}' <<<"$deps_part")
bases=$(awk 'toupper($1) == "FROM" {print $2}' <<<"$deps_part" | grep -vxF "$stages" | sort -u)
# shellcheck disable=SC2086  # one name per word
if ! base_ids=$(docker image inspect --format '{{.Id}}' $bases 2>/dev/null); then
  # a base image not pulled yet (a fresh Docker): pull it, as a one-command build would
  for base in $bases; do docker image inspect "$base" >/dev/null 2>&1 || docker pull "$base" >&2; done
  base_ids=$(docker image inspect --format '{{.Id}}' $bases)
fi
members=$(ls -- */pyproject.toml)
hash=$(cat <(printf '%s\n' "$deps_part" "$base_ids" ${platform[@]+"${platform[@]}"}) uv.lock pyproject.toml $members | sha256 | cut -c1-16)
deps=macro-ai-api-deps:$hash
if [ -n "${DEPS_IMAGE_PRINT:-}" ]; then echo "$deps"; exit 0; fi

# one engine call when both exist (each call costs a few tenths of a second on the kit)
if ! docker image inspect "$deps-build" "$deps" >/dev/null 2>&1; then
  for target in deps deps-runtime; do
    image=$deps
    [ "$target" = deps ] && image=$deps-build
    if ! docker image inspect "$image" >/dev/null 2>&1; then
      echo "build-image.sh: building $image (stage $target)" >&2
      docker build --target "$target" ${platform[@]+"${platform[@]}"} -f "$dockerfile" -t "$image" .
    fi
  done
fi

app_part=$(sed -n "/$marker/,\$p" "$dockerfile" \
  | sed -e "s|^FROM deps AS app\$|FROM $deps-build AS app|" -e "s|^FROM deps-runtime AS runtime\$|FROM $deps AS runtime|")
# buildah 1.28 keys its layer cache without the values of build args: a cached LABEL would keep an earlier
# build's version and revision. Written into the derived file as text, the values make the LABEL (the last
# instruction, no layer) a new step when they change, and leave every other step cached.
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    --build-arg=*=*) arg=${!i#--build-arg=} ;;
    --build-arg) j=$((i + 1)); arg=${!j:-} ;;
    *) continue ;;
  esac
  case "$arg" in *=*) ;; *) continue ;; esac
  name=${arg%%=*} value=${arg#*=}
  value=${value//\\/\\\\}; value=${value//\"/\\\"}; value=${value//\$/\\\$}  # inside "...": \ " $
  app_part=${app_part//"\${$name}"/"$value"}
done

derived=$(mktemp "${TMPDIR:-/tmp}/app.Dockerfile.XXXXXX")
trap 'rm -f "$derived"' EXIT
printf '%s\n' "$app_part" >"$derived"
grep -q "^FROM $deps-build AS app\$" "$derived" && grep -q "^FROM $deps AS runtime\$" "$derived" \
  || { echo "build-image.sh: the app stages must start 'FROM deps AS app' and 'FROM deps-runtime AS runtime'" >&2; exit 2; }
docker build -f "$derived" -t "$tag" "$@" .
