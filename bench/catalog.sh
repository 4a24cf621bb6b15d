#!/usr/bin/env bash
# Catalog scenario (issue 5): catalog page, search page, a category and a product page against /ping, at
# 10,000 and at 100,000 offers, each with the catalog cache on (the default) and off (CATALOG_CACHE_TTL=0,
# every request hits PostgreSQL: what a cold cache or a just-invalidated list costs).
#
#   psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE storefront_bench_catalog'
#   bench/catalog.sh postgresql+psycopg://postgres@127.0.0.1/storefront_bench_catalog [--duration 10 ...]
#
# Extra arguments go to bench/run.py. The database is emptied and refilled (its name must contain "bench").
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:?usage: bench/catalog.sh DATABASE_URL [run.py options]}
shift
PY=.venv/bin/python
PATHS=(--path "/" --path "/?q=смартфон" --path "/?q=смартфон&sort=price_asc" --path "/category/1" --path "/product/1" --path "/api/v1/products?q=смартфон")

for shops in 4 40; do  # × 2,500 goods = 10,000 and 100,000 offers
  "$PY" bench/dataset.py --database-url "$URL" --shops "$shops" --goods 2500
  CATALOG_CACHE_TTL=0 "$PY" bench/queries.py --database-url "$URL" "${PATHS[@]}"  # SQL per page, uncached
  "$PY" bench/run.py --database-url "$URL" "${PATHS[@]}" --label "catalog, $((shops * 2500)) offers, cache on" "$@"
  CATALOG_CACHE_TTL=0 "$PY" bench/run.py --database-url "$URL" "${PATHS[@]}" \
    --label "catalog, $((shops * 2500)) offers, cache off" "$@"
done
