"""A client generated from the served document by openapi-python-client works against a live server.

What an integrator does: generate (offline, in a temporary folder), import, then log in, search, add to the cart,
place an order and download its invoice, all through the generated functions.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from storefront.extensions import db
from tests.factories import PASSWORD, ContactFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.sqlite  # one backend is enough: the document is the same on both

# The generator knows JSON, text and octet-stream bodies; binary downloads are read as octet-stream.
GENERATOR_CONFIG = """\
content_type_overrides:
  application/pdf: application/octet-stream
  application/x-yaml: application/octet-stream
post_hooks: []
"""


def _generator() -> str:
    found = shutil.which("openapi-python-client") or str(Path(sys.executable).with_name("openapi-python-client"))
    if not Path(found).exists():
        pytest.fail("openapi-python-client is not installed (requirements-dev.txt)")
    return found


@pytest.fixture
def generated_client(app, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_bytes(app.test_client().get("/api/openapi.json").data)
    config = tmp_path / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    result = subprocess.run(
        [_generator(), "generate", "--path", str(spec), "--output-path", str(tmp_path / "client"),
         "--config", str(config), "--fail-on-warning"],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path / "client"))
    try:
        yield importlib.import_module("storefront_api_client")
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [name for name in sys.modules if name.startswith("storefront_api_client")]:
            del sys.modules[name]


def test_every_generated_module_imports(generated_client):
    package = Path(generated_client.__file__).parent
    for module in sorted(package.glob("api/*/*.py")) + sorted(package.glob("models/*.py")):
        relative = module.relative_to(package.parent).with_suffix("")
        importlib.import_module(".".join(relative.parts))


@pytest.fixture
def shop(app, tmp_path):
    app.config["INVOICE_DIR"] = str(tmp_path / "invoices")  # before the live server forks
    with app.app_context():
        offer = OfferFactory(product__name="Кофемолка Bosch", price=Decimal("2000.00"), quantity=5)
        shopper = UserFactory()
        contact = ContactFactory(user=shopper)
        db.session.commit()
        return {"email": shopper.email, "offer_id": offer.id, "contact_id": contact.id}


def test_generated_client_shops_from_log_in_to_invoice(generated_client, shop, live_server):
    from storefront_api_client import AuthenticatedClient, Client
    from storefront_api_client.api.auth import login
    from storefront_api_client.api.cart import add_to_cart
    from storefront_api_client.api.orders import download_invoice, place_order
    from storefront_api_client.api.products import list_products
    from storefront_api_client.models import AddItem, Login, PlaceOrder, TokenPair

    base_url = live_server.url("").rstrip("/")
    tokens = login.sync(client=Client(base_url=base_url), body=Login(email=shop["email"], password=PASSWORD))
    assert isinstance(tokens, TokenPair), tokens
    client = AuthenticatedClient(base_url=base_url, token=tokens.access_token, timeout=30)

    found = list_products.sync(client=client, q="Кофемолка")
    assert [item.name for item in found.items] == ["Кофемолка Bosch"], found

    cart = add_to_cart.sync(client=client, body=AddItem(offer_id=shop["offer_id"], quantity=2))
    assert cart.total == "4300.00", cart  # two at 2 000 and the 300 delivery fee

    order = place_order.sync(client=client, body=PlaceOrder(contact_id=shop["contact_id"]),
                             idempotency_key=str(uuid.uuid4()))
    assert order.total == "4300.00" and order.status.value == "new", order

    invoice = download_invoice.sync(order.id, client=client)
    assert invoice.payload.read().startswith(b"%PDF"), invoice
