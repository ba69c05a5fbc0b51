"""What every resolver of one request sees: the authenticated actor and that request's DataLoaders."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from strawberry.dataloader import DataLoader
from strawberry.litestar import BaseContext

from backend.api.auth import authenticate
from backend.core.authz import Actor

# A batch function of a domain: one query for many keys, answers in the keys' order (None if absent).
BatchLoad = Callable[[Actor, list[Any]], Awaitable[list[Any]]]


class ApiContext(BaseContext, kw_only=True):
    actor: Actor | None = None
    loaders: dict[BatchLoad, DataLoader] = msgspec.field(default_factory=dict)

    def loader(self, batch_load: BatchLoad) -> DataLoader:
        """The DataLoader of ``batch_load`` for this request: rows asked for by many fields load in one query."""
        if batch_load not in self.loaders:
            self.loaders[batch_load] = DataLoader(load_fn=functools.partial(batch_load, self.actor))
        return self.loaders[batch_load]


async def request_context(request: ASGIConnection) -> ApiContext:
    # GET only serves GraphiQL (queries over GET are off), so it needs no key; every POST does.
    # (There is no WebSocket route: see graphql_controller in app.py.)
    if request.scope["type"] != "http" or request.scope["method"] == "GET":
        return ApiContext()
    return ApiContext(actor=await authenticate(request))
