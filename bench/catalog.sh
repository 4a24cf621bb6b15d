#!/usr/bin/env bash
# Catalog scenario (issues 5 and 19): every catalog path, HTML and API, against /ping, at 25,000 and 100,000
# products, each with the catalog cache on (the default) and off (CATALOG_CACHE_TTL=0, every request hits
# PostgreSQL: what a cold cache or a just-invalidated list costs), then one table with the growth 25k → 100k.
#
#   psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_catalog'
#   bench/catalog.sh postgresql+psycopg://postgres@127.0.0.1/storefront_bench_catalog [--rounds 3 ...]
#
# Extra arguments go to bench/run.py (defaults here: 4 connections, 3 rounds). SHOPS="40 160" (× 2,500 goods,
# ~4 offers a product: 25,000 and 100,000 products) sets the sizes. The database is emptied and refilled (its
# name must contain "bench").
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:?usage: bench/catalog.sh DATABASE_URL [run.py options]}
shift
PY=.venv/bin/python
PATHS=(--path "/" --path "/?q=смартфон" --path "/?q=смартфон&sort=price_asc" --path "/category/1"
       --path "/product/1" --path "/?page=400"
       --path "/api/v1/products" --path "/api/v1/products?q=смартфон" --path "/api/v1/products?sort=price_asc"
       --path "/api/v1/products?category=1" --path "/api/v1/products?q=смартфоны&sort=price_asc")
OUT=$(mktemp -d)
RUNS=()

for shops in ${SHOPS:-40 160}; do
  size="$((shops * 2500 / 4000))k"
  "$PY" bench/dataset.py --database-url "$URL" --shops "$shops" --goods 2500
  CATALOG_CACHE_TTL=0 "$PY" bench/queries.py --database-url "$URL" "${PATHS[@]}"  # SQL per page, uncached
  "$PY" bench/run.py --database-url "$URL" "${PATHS[@]}" --connections 4 --rounds 3 \
    --label "catalog, $size products, cache on" --output "$OUT/$size-on.json" "$@"
  CATALOG_CACHE_TTL=0 "$PY" bench/run.py --database-url "$URL" "${PATHS[@]}" --connections 4 --rounds 3 \
    --label "catalog, $size products, cache off" --output "$OUT/$size-off.json" "$@"
  RUNS+=(--run "$size:off=$OUT/$size-off.json" --run "$size:on=$OUT/$size-on.json")
done
"$PY" bench/compare.py "${RUNS[@]}"
