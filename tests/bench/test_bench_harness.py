"""The bench harness: dataset generation and loading, the safety guard, wrk parsing and the Python fallback."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, insert, text

from bench import dataset, run
from bench.common import refuse_unless_bench
from storefront.accounts.models import Role, User

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40000/ping
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    4.01ms  61.20ms   88.12%
    Req/Sec     2.05k   210.33     2.60k    70.00%
  Latency Distribution
     50%    4.44ms
     75%  712.00us
     90%    1.02s
     99%    1.50m
  40810 requests in 10.01s, 6.03MB read
  Socket errors: connect 0, read 2, write 1, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   4077.39
Transfer/sec:    617.11KB
"""


def test_parse_wrk_reads_throughput_percentiles_and_failures():
    result = run.parse_wrk(WRK_OUTPUT)
    assert result["rps"] == 4077.39
    assert result["requests"] == 40810
    assert result["p50_ms"] == 4.44
    assert result["p75_ms"] == 0.712
    assert result["p90_ms"] == 1020.0
    assert result["p99_ms"] == 90000.0
    assert result["non_2xx"] == 7
    assert result["errors"] == 6


def test_parse_wrk_without_failure_lines_counts_none():
    clean = "\n".join(line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line)
    result = run.parse_wrk(clean)
    assert (result["non_2xx"], result["errors"]) == (0, 0)


def test_encode_path_escapes_cyrillic_but_keeps_query_syntax_and_escapes():
    assert run.encode_path("/?q=смартфон&page=2") == "/?q=%D1%81%D0%BC%D0%B0%D1%80%D1%82%D1%84%D0%BE%D0%BD&page=2"
    assert run.encode_path("/?q=%D1%81") == "/?q=%D1%81"
    assert run.encode_path("ping") == "/ping"


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://postgres@127.0.0.1/storefront",
    "postgres://postgres@127.0.0.1/storefront_test",
    "sqlite:////srv/instance/storefront.db",
])
def test_guard_refuses_a_database_not_named_bench(url):
    with pytest.raises(SystemExit, match="refusing"):
        refuse_unless_bench(url, force=False)
    refuse_unless_bench(url, force=True)  # --force lets it through


def test_guard_accepts_bench_databases():
    refuse_unless_bench("postgresql+psycopg://postgres@127.0.0.1/storefront_bench", force=False)
    refuse_unless_bench("sqlite:////tmp/bench.db", force=False)


def test_generate_is_deterministic_and_shares_products_between_shops():
    first = dataset.generate(shops=6, goods=200, categories=20, seed=3)
    again = dataset.generate(shops=6, goods=200, categories=20, seed=3)
    other = dataset.generate(shops=6, goods=200, categories=20, seed=4)
    names = [p["name"] for p in first.rows["products"]]
    assert names == [p["name"] for p in again.rows["products"]]
    assert names != [p["name"] for p in other.rows["products"]]
    assert first.count("offers") == 6 * 200
    assert len(set(names)) == len(names)
    offers_per_product = Counter(o["product_id"] for o in first.rows["offers"])
    assert max(offers_per_product.values()) > 1  # one product, several shops' offers
    for offers in (first.rows["offers"],):
        per_shop = Counter((o["shop_id"], o["external_id"]) for o in offers)
        assert max(per_shop.values()) == 1  # external ids are unique per shop
        assert all(o["price"] >= 0 and o["price_rrc"] >= o["price"] for o in offers)
        assert any(o["quantity"] == 0 for o in offers) and any(o["quantity"] > 0 for o in offers)
    product = first.rows["products"][0]
    assert product["search_text"] == product["search_text"].casefold()
    assert product["name"].casefold() in product["search_text"]


def test_build_loads_the_catalog_and_replaces_it_on_a_second_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    dataset.build(url, shops=3, goods=40, categories=5, seed=1)
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            # Core insert through the model's table: its Python-side defaults fill the other columns.
            connection.execute(insert(User.__table__).values(
                email="supplier@example.com", password_hash="x", role=Role.SUPPLIER, shop_id=1
            ))
        dataset.build(url, shops=2, goods=30, categories=4, seed=2)
        with engine.connect() as connection:
            count = {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                     for t in ("shops", "categories", "offers", "offer_parameters", "shop_categories")}
            accepting = connection.execute(text("SELECT COUNT(*) FROM shops WHERE accepting_orders")).scalar_one()
            orphans = connection.execute(text(
                "SELECT COUNT(*) FROM offers LEFT JOIN products ON products.id = offers.product_id"
                " WHERE products.id IS NULL"
            )).scalar_one()
            supplier_shop = connection.execute(text("SELECT shop_id FROM users")).scalar_one()
    finally:
        engine.dispose()
    assert count["shops"] == 2 and count["categories"] == 4 and count["offers"] == 60
    assert count["shop_categories"] == 2 * 4
    assert count["offer_parameters"] >= 2 * 60
    assert accepting == 2 and orphans == 0
    assert supplier_shop is None  # detached, not deleted


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the load generator expects

    def do_GET(self):
        status = 200 if self.path == "/ok" else 404
        body = b"pong"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_python_fallback_measures_and_counts_non_2xx(local_server):
    ok = run.run_python(local_server + "/ok", duration=0.5, connections=2, threads=1)
    assert ok["requests"] > 10 and ok["rps"] > 0
    assert ok["non_2xx"] == 0 and ok["errors"] == 0
    assert 0 < ok["p50_ms"] <= ok["p90_ms"] <= ok["p99_ms"]
    missing = run.run_python(local_server + "/missing", duration=0.3, connections=1, threads=1)
    assert missing["requests"] > 0 and missing["non_2xx"] == missing["requests"]


def test_rounds_report_medians_and_the_share_of_the_same_rounds_ping():
    def row(path, round_number, rps, p50):
        return {"path": path, "status": 200, "round": round_number, "rps": rps, "p50_ms": p50, "p90_ms": p50,
                "p99_ms": p50, "non_2xx": 1, "errors": 0}

    # The machine was twice as fast in round 2: the path keeps half of the ping each round.
    measured = [row("/ping", 1, 1000, 2), row("/", 1, 500, 8), row("/ping", 2, 2000, 1), row("/", 2, 1000, 4),
                row("/ping", 3, 1500, 3), row("/", 3, 750, 5)]
    ping, page = run.combine_rounds(measured)
    assert (ping["path"], ping["pct_of_ping"], ping["rps"]) == ("/ping", 100.0, 1500)
    assert (page["pct_of_ping"], page["rps"], page["p50_ms"], page["non_2xx"], page["rounds"]) == (50.0, 750, 5, 3, 3)
