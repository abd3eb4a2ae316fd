#!/usr/bin/env bash
# Seed the fuzz corpora with every genuine-shape file the project ships: JSON, YAML (must-gather),
# journals, and archives made from them. The first byte of an input picks its name or archive
# kind (see the targets), so each file is written under every pick.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/read_file corpus/read_and_diagnose corpus/read_archive
n=0
while IFS= read -r -d '' file; do
    for pick in 0 1 2 3; do
        n=$((n + 1))
        for target in read_file read_and_diagnose; do
            { printf "\\x$(printf %02x "$pick")"; cat "$file"; } > "corpus/$target/seed-$n"
        done
    done
done < <(find ../fixtures/reader ../examples ../fixtures/must-gather \( -name '*.json' -o -name '*.yaml' -o -name '*.log' \) -print0)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar -cf "$scratch/reader.tar" -C ../fixtures reader
tar -czf "$scratch/reader.tar.gz" -C ../fixtures reader
(cd ../fixtures && python3 -c 'import shutil; shutil.make_archive("'"$scratch"'/reader", "zip", ".", "reader")')
{ printf '\x00'; cat "$scratch/reader.tar"; } > corpus/read_archive/seed-tar
{ printf '\x01'; cat "$scratch/reader.tar.gz"; } > corpus/read_archive/seed-tar-gz
{ printf '\x02'; cat "$scratch/reader.zip"; } > corpus/read_archive/seed-zip
