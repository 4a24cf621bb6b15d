"""Operation ids and tags for the OpenAPI document, derived automatically so every endpoint gets them.

Client generators name their functions after `operationId` (`list_products`, `place_order`) and their modules
after tags; without them they invent `get_api_v1_products` and leak blueprint names (`api_cart`). A resource can
name an operation itself with `@blp.doc(operationId="place_order")`; every other operation gets
`<verb>_<resource>`: the resource is the view's name in snake case without a trailing `_by_id` (`OrderById` →
`order`), the verb follows the method (`get` → `list` for a plural resource on a collection path, else `get`;
`post` → `create` with the resource made singular; `patch` → `update`; `put` → `replace`; `delete` →
`delete`); a plain view function keeps its own name.
A name already taken gets the tag in front (`list_partner_orders`). tests/api/test_api_openapi.py checks that
every operation has one and that they are unique.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import BasePlugin

VERBS = {"post": "create", "patch": "update", "put": "replace", "delete": "delete"}


def clean_tag(blueprint_name: str) -> str:
    """`api_cart` → `cart`, `support_api` → `support`: blueprint names made unique for Flask, not for readers."""
    name = blueprint_name.split(".")[-1]
    name = re.sub(r"^api_|_api$", "", name)
    return name or blueprint_name


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("-", "_").lower()


def default_operation_id(view_name: str, method: str, path: str, *, is_class: bool) -> str:
    if not is_class:
        return snake(view_name)
    resource = re.sub(r"_by_id$", "", snake(view_name))
    collection = not path.rstrip("/").endswith("}")
    if method == "get":
        verb = "list" if collection and resource.endswith("s") else "get"
    else:
        verb = VERBS.get(method, method)
        if method == "post" and collection:
            resource = singular(resource)
    return f"{verb}_{resource}"


def singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


class OperationNaming(BasePlugin):
    """An apispec plugin: fills `operationId` and cleans the tags of every operation as it is added."""

    def __init__(self, app_getter: Any):
        self._app = app_getter  # the Api: its app is bound only at init_app
        self.taken: set[str] = set()

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.taken = set()  # one document per app: a new spec starts afresh (tests build many apps)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        blueprint_name, _, view_name = rule.endpoint.rpartition(".")
        view = self._app._app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        name = view_class.__name__ if view_class is not None else getattr(view, "__name__", view_name)
        tag = clean_tag(blueprint_name)
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            operation["tags"] = [clean_tag(t) for t in operation.get("tags") or [tag]]
            if not operation.get("operationId"):
                operation_id = default_operation_id(name, method, path or "", is_class=view_class is not None)
                if operation_id in self.taken:
                    operation_id = f"{operation_id.split('_', 1)[0]}_{tag}_{operation_id.split('_', 1)[-1]}"
                operation["operationId"] = operation_id
            self.taken.add(operation["operationId"])
