#!/bin/sh
# Builds the shared packages a service's GitLab project carries next to its sources (pushed there by
# ansible's push_repos from services/<name> of the Shipgate repository), for the service's Dockerfile and CI:
#
#   sh kit/bin/build-shared.sh kit billing-contract     # in the service's root, after `npm ci`
#
# For each package directory it
#   - links it as node_modules/@shipgate/<dir>, so `npm run build` type-checks the service against its source
#     (tsc does not emit packages found through node_modules: the service's dist/ stays the service's code);
#   - compiles it with the service's TypeScript and dependencies into dist-shared/<dir>/ (package.json plus
#     src/*.js), which the image copies to node_modules/@shipgate/<dir>.
set -eu
[ "$#" -gt 0 ] || { echo "usage: sh kit/bin/build-shared.sh <package dir>..." >&2; exit 2; }
mkdir -p node_modules/@shipgate
for pkg in "$@"; do
  [ -f "$pkg/package.json" ] || { echo "$pkg/package.json is missing; push services/$pkg with the service" >&2; exit 1; }
  ln -sfn "../../$pkg" "node_modules/@shipgate/$pkg"
  rm -rf "dist-shared/$pkg"
  npx --no-install tsc -p "$pkg/tsconfig.build.json" --outDir "dist-shared/$pkg/src"
  cp "$pkg/package.json" "dist-shared/$pkg/package.json"
done
