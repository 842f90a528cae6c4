"""The baseline: the same server and endpoint body with no middleware, no settings, no database."""

import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/api/src")
from macro_ai.server import uvicorn_config
from macro_ai_contract import load_contract

app = FastAPI()


@app.get("/api/health/live")
async def live() -> Response:
    return Response(b'{"status":"alive"}', media_type="application/json")


if __name__ == "__main__":
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", int(sys.argv[1]), load_contract())).run()
