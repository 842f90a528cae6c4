from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response


class JSONBytes(JSONResponse):
    """JSONResponse rendered with orjson (faster, and it serializes UUIDs and datetimes)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def model_response(model: BaseModel, status_code: int = 200) -> Response:
    """Serialize a response model once, in pydantic's Rust core. Returning the model itself makes
    FastAPI dump and re-validate it against ``response_model``, which costs more than the query on
    the hottest reads; the route keeps ``response_model`` for the OpenAPI document."""
    return Response(
        model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json"
    )
