"""Every failure becomes one line on stderr and a documented exit code; never a traceback."""

from __future__ import annotations

import os
import traceback
from typing import Any, NoReturn

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from typer.core import TyperGroup

from macro_ai_deploy.errors import DeployError
from macro_ai_deploy.exitcodes import ExitCode

AUTH_CODES = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "SignatureDoesNotMatch",
    "AuthFailure",
    "InvalidSignatureException",
}
NOT_FOUND_CODES = {
    "ResourceNotFoundException",
    "RepositoryNotFoundException",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "ListenerNotFound",
    "TargetGroupNotFound",
    "ParameterNotFound",
}


def fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"macro-deploy: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(int(code))


def client_error(exc: ClientError) -> tuple[str, ExitCode]:
    err = exc.response.get("Error", {})
    code, msg = err.get("Code", "?"), err.get("Message", str(exc))
    op = getattr(exc, "operation_name", "")
    if code in AUTH_CODES:
        return f"AWS refused the credentials or permission for {op}: {code}: {msg}", ExitCode.AWS_AUTH
    if code in NOT_FOUND_CODES or (code == "ValidationError" and "does not exist" in msg):
        return f"{op}: {msg}", ExitCode.NOT_FOUND
    return f"AWS error in {op}: {code}: {msg}", ExitCode.AWS_ERROR


class SafeGroup(TyperGroup):
    """The root command group: maps every exception to one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except DeployError as exc:
            fail(exc.message, exc.code)
        except NoCredentialsError:
            fail(
                "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or log in (aws sso login)",
                ExitCode.AWS_AUTH,
            )
        except NoRegionError:
            fail("no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)", ExitCode.AWS_AUTH)
        except (PartialCredentialsError, ProfileNotFound) as exc:
            fail(f"AWS credentials are incomplete: {exc}", ExitCode.AWS_AUTH)
        except ClientError as exc:
            fail(*client_error(exc))
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
            fail(f"cannot reach AWS: {exc}", ExitCode.AWS_ERROR)
        except BotoCoreError as exc:
            fail(f"AWS SDK error: {exc}", ExitCode.AWS_ERROR)
        except KeyboardInterrupt:
            fail("interrupted", ExitCode.INTERRUPTED)
        except Exception as exc:
            if os.environ.get("MACRO_DEPLOY_DEBUG"):
                traceback.print_exc()
            fail(
                f"internal error: {type(exc).__name__}: {exc} (MACRO_DEPLOY_DEBUG=1 shows the traceback)",
                ExitCode.INTERNAL,
            )
