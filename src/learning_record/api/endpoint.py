"""One declaration per endpoint: what documents an operation also enforces it.

An action (the function that answers an operation) is declared with
``@endpoint(GET=Operation(...), POST=Operation(...))``. The declaration is what the OpenAPI
document is built from (``api.openapi``), and the handler it makes for each method runs, in
order, before the action:

1. the key check (``auth.identify``: 401), for an operation with scopes;
2. the tenant's origin check (``cors.check_origin``: 403);
3. the rate-limit charge (``usage.take_request``: 429);
4. the log context (request id and tenant on every line logged while serving it);
5. the scope check (403);
6. the parameters, parsed with the operation's query model from the query string, or from the
   JSON body when the operation reads its parameters as a body (the POST form of a query),
   into a 400 that names the parameter.

The action gets a ``Call``: the request, the principal (None for a public operation) and the
parsed parameters. It cannot forget a scope check, and the document cannot drift from what
runs. With ``LR_API__CHECK_RESPONSES`` (the test suite sets it), each JSON answer is checked
against the model its operation documents.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, TypeAdapter, ValidationError

from learning_record.api import auth
from learning_record.api.app_keys import SETTINGS
from learning_record.api.cors import check_origin
from learning_record.api.errors import ApiError, bad_request
from learning_record.api.openapi import Operation, declare
from learning_record.api.request_context import context_of
from learning_record.api.usage import take_request
from learning_record.domain.data_keys import Pseudonymise, pseudonymiser
from learning_record.domain.errors import first_validation_message
from learning_record.domain.json_input import loads_bounded
from learning_record.platform import logs

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Call(Generic[P]):
    """What an action gets: the request, who calls, and the parameters its operation declares."""

    request: web.Request
    principal: auth.Principal | None
    params: P

    @property
    def caller(self) -> auth.Principal:
        """The principal of an operation with scopes (there always is one)."""
        assert self.principal is not None, "a public operation has no caller"
        return self.principal

    @property
    def learner_id(self) -> Pseudonymise:
        """The caller's tenant's pseudonymiser: how the statement view's indexes and the
        indicators name a learner (docs/privacy.md)."""
        key = self.request.config_dict[SETTINGS].process.pseudonym_key.get_secret_value()
        return pseudonymiser(key, self.caller.tenant)


Action = Callable[[Call[Any]], Awaitable[web.StreamResponse]]


class Endpoint:
    """An action and its operations by method; ``handler(method)`` is what the router serves."""

    def __init__(self, action: Action, operations: Mapping[str, Operation]) -> None:
        self.action = action
        self.operations = {method.upper(): operation for method, operation in operations.items()}
        self._handlers = {
            method: self._handler(operation) for method, operation in self.operations.items()
        }
        for method, handler in self._handlers.items():
            declare(handler, method, self.operations[method])

    def handler(self, method: str) -> Handler:
        return self._handlers[method.upper()]

    def _handler(self, operation: Operation) -> Handler:
        action = self.action

        async def handle(request: web.Request) -> web.StreamResponse:
            principal = await authorize(request, operation) if operation.scopes else None
            params = await _params(request, operation)
            response = await action(Call(request, principal, params))
            if request.config_dict[SETTINGS].api.check_responses:
                _check_response(operation, response)
            return response

        handle.__name__ = action.__name__
        handle.__doc__ = action.__doc__
        return handle


def endpoint(**operations: Operation) -> Callable[[Action], Endpoint]:
    """Declare an action's operations by method: ``@endpoint(GET=Operation(...))``."""

    def declare_action(action: Action) -> Endpoint:
        return Endpoint(action, operations)

    return declare_action


async def authorize(request: web.Request, operation: Operation) -> auth.Principal:
    """The steps before any parameter or body is read, in order (see the module docstring)."""
    record = await auth.identify(request)
    check_origin(request, record.tenant)
    context_of(request).tenant = record.tenant  # CORS answers for this tenant's origins now
    await take_request(request, record)
    logs.bind_request(tenant=record.tenant)
    principal = auth.Principal(record)
    auth.require(principal, operation.scopes)
    return principal


async def _params(request: web.Request, operation: Operation) -> Any:
    """The operation's parameters: by its own parser, from the JSON body of a query's POST
    form, or from the query string with its query model; None when it declares none."""
    if operation.parse is not None:
        return operation.parse(request.query)
    body_model = _body_model(operation)
    if body_model is not None:
        return await _from_body(request, body_model)
    if operation.query is not None:
        return _validated(operation.query, dict(request.query))
    return None


def _body_model(operation: Operation) -> type[BaseModel] | None:
    """The model of a body that carries the operation's parameters (a query's POST form)."""
    declared = operation.body.get("application/json") if len(operation.body) == 1 else None
    if isinstance(declared, type) and issubclass(declared, BaseModel) and operation.params_in_body:
        return declared
    return None


async def _from_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    return _validated(model, loads_bounded(await request.read()))


def _validated(model: type[BaseModel], params: Any) -> BaseModel:
    try:
        return model.model_validate(params)
    except ValidationError as error:
        raise bad_request(first_validation_message(error)) from None


@cache
def _adapter(declared: Any) -> TypeAdapter[Any]:
    return TypeAdapter(declared)


def _check_response(operation: Operation, response: web.StreamResponse) -> None:
    """A JSON answer of a documented status must match the model documented for it."""
    reply = operation.replies.get(response.status)
    if reply is None or not isinstance(response, web.Response):
        return
    declared = reply.content.get("application/json")
    if declared is None or isinstance(declared, dict):
        return  # a hand-written schema documents it, not a model
    if response.content_type != "application/json" or not isinstance(response.body, bytes):
        return
    try:
        _adapter(declared).validate_json(response.body)
    except ValidationError as error:
        raise ApiError(
            500, "contract_violation", f"the answer breaks its documented schema: {error}"
        ) from error
