#!/bin/sh
# Builds the shared packages a service's GitLab project carries next to its sources (pushed there by
# ansible's push_repos from services/<name> of the Shipgate repository), for the service's Dockerfile and CI:
#
#   sh kit/bin/build-shared.sh [<package dir>...]     # in the service's root, after `npm ci`
#
# Without arguments it builds every package pushed next to the service: each directory holding a
# tsconfig.build.json and a package.json named @shipgate/<dir> (kit/, billing-contract/; test-support/ has
# no build). For each package directory it
#   - links it as node_modules/@shipgate/<dir>, so `npm run build` type-checks the service against its source
#     (tsc does not emit packages found through node_modules: the service's dist/ stays the service's code);
#   - compiles it with the service's TypeScript and dependencies into dist-shared/<dir>/ (package.json plus
#     src/*.js), which the image copies to node_modules/@shipgate/<dir>.
set -eu
if [ "$#" -eq 0 ]; then
  for dir in */; do
    dir=${dir%/}
    if [ -f "$dir/tsconfig.build.json" ] && grep -q "\"name\": \"@shipgate/$dir\"" "$dir/package.json" 2>/dev/null; then
      set -- "$@" "$dir"
    fi
  done
  [ "$#" -gt 0 ] || { echo "no shared package next to the service; push services/kit with it" >&2; exit 1; }
fi
mkdir -p node_modules/@shipgate
for pkg in "$@"; do
  [ -f "$pkg/package.json" ] || { echo "$pkg/package.json is missing; push services/$pkg with the service" >&2; exit 1; }
  ln -sfn "../../$pkg" "node_modules/@shipgate/$pkg"
  rm -rf "dist-shared/$pkg"
  npx --no-install tsc -p "$pkg/tsconfig.build.json" --outDir "dist-shared/$pkg/src"
  cp "$pkg/package.json" "dist-shared/$pkg/package.json"
  echo "built @shipgate/$pkg"
done
