"""Sign in (password or access keys), sign out, switch role and back."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from airlock.core.context import Principal
from airlock.core.errors import ServiceError
from airlock.iam import verify_password

from ..acting import Caller, principal_of_key
from ..sessions import Identity
from ..signin import (
    FAILED,
    SignInFailed,
    key_principal,
    label_of,
    record_sign_in,
    sign_in,
    unknown_principal,
)
from ..web import BASE, COOKIE, SIGNIN_COOKIE, Console, View, new_signin_token, page, redirect

_SESSION_NAME = re.compile(r"[^\w+=,.@-]")


def _signin_form(view: View, method: str, error: str = "", status: int = 200) -> Response:
    token = view.request.cookies.get(SIGNIN_COOKIE) or new_signin_token()
    response = view.render(
        "signin.html",
        status=status,
        method=method,
        error=error,
        csrf_token=token,
        form=view.form,
    )
    response.set_cookie(SIGNIN_COOKIE, token, httponly=True, samesite="strict", path=BASE)
    return response


def signin_page(view: View) -> Response:
    """The sign-in form: an IAM user's password, or (`?method=keys`) access keys."""
    if view.session is not None:
        return redirect(f"{BASE}/")
    return _signin_form(view, view.request.query_params.get("method", "password"))


def _source(view: View) -> str:
    client = view.request.client
    return client.host if client else "127.0.0.1"


def signin_submit(view: View) -> Response:
    """Verify the credentials, open a session; a failure is counted, limited and audited."""
    form = view.form
    method = "keys" if "access_key_id" in form else "password"
    source = _source(view)
    agent = view.request.headers.get("user-agent", "")
    if method == "keys":
        who = form.get("access_key_id", "").strip()
    else:
        who = f"{form.get('account', '').strip()}/{form.get('user_name', '').strip()}"
    wait = view.console.limiter.retry_after(who, source)
    if wait is not None:
        _record_failure(view, method, form, source, agent, "Too many failed sign-in attempts")
        return _signin_form(
            view,
            method,
            f"Too many failed sign-in attempts. Try again in {wait} seconds.",
            status=429,
        )
    platform = view.platform
    try:
        principal, must_change = _verified(view, method, form)
        signed_in = sign_in(
            platform, Caller(principal, source, agent), must_change_password=must_change
        )
    except (SignInFailed, ServiceError):
        view.console.limiter.failed(who, source)
        _record_failure(view, method, form, source, agent, FAILED)
        return _signin_form(
            view, method, "Your authentication information is incorrect. Please try again.", 401
        )
    view.console.limiter.succeeded(who, source)
    session = view.console.sessions.open(signed_in.identity, signed_in.expires_at)
    session.must_change_password = signed_in.must_change_password
    response = redirect(f"{BASE}/change-password" if session.must_change_password else f"{BASE}/")
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="strict", path=BASE)
    response.delete_cookie(SIGNIN_COOKIE, path=BASE)
    return response


def _verified(view: View, method: str, form: dict[str, str]) -> tuple[Principal, bool]:
    """The principal the form's credentials are, and whether its password must change."""
    if method == "keys":
        key = form.get("access_key_id", "").strip()
        return key_principal(view.platform, key, form.get("secret", "")), False
    found = verify_password(
        view.platform,
        form.get("account", "").strip(),
        form.get("user_name", "").strip(),
        form.get("password", ""),
    )
    if found is None:
        raise SignInFailed(FAILED)
    return found.principal, found.password_reset_required


def _record_failure(
    view: View, method: str, form: dict[str, str], source: str, agent: str, why: str
) -> None:
    """The failed attempt in the trail of the account it named (the user's, if known)."""
    platform = view.platform
    principal: Principal
    if method == "keys":
        key = form.get("access_key_id", "").strip()
        try:
            principal = principal_of_key(platform, key)
        except Exception:
            principal = unknown_principal(platform, None, "HIDDEN_DUE_TO_SECURITY_REASONS")
    else:
        account = form.get("account", "").strip()
        principal = unknown_principal(platform, account, form.get("user_name", "").strip())
    record_sign_in(platform, Caller(principal, source, agent), why)


def change_password_page(view: View) -> Response:
    """The form to choose a new password (IAM ChangePassword as the user)."""
    return view.render("password.html")


def change_password(view: View) -> Response:
    """ChangePassword through the call path; a refused one (policy, wrong current) is shown."""
    session = view.session
    assert session is not None
    form = view.form
    if form.get("new_password", "") != form.get("confirm_password", ""):
        session.tell("error", "The new passwords do not match.")
        return redirect(f"{BASE}/change-password")
    params = {
        "OldPassword": form.get("old_password", ""),
        "NewPassword": form.get("new_password", ""),
    }
    if view.act("iam", "ChangePassword", params, "Your password is changed.") is None:
        return redirect(f"{BASE}/change-password")
    session.must_change_password = False
    return redirect(f"{BASE}/")


def signout(view: View) -> Response:
    """End the session; its cookie is cleared."""
    assert view.session is not None
    view.console.sessions.close(view.session.id)
    response = redirect(f"{BASE}/signin")
    response.delete_cookie(COOKIE, path=BASE)
    return response


def switch_page(view: View) -> Response:
    """The switch-role form, as the AWS console has it."""
    query = view.request.query_params
    return view.render(
        "switch.html", account=query.get("account", ""), role=query.get("role", ""), form={}
    )


def switch_submit(view: View) -> Response:
    """AssumeRole as the signed-in user; calls are then made as the role's session."""
    session = view.session
    assert session is not None
    form = view.form
    account = form.get("account", "").strip()
    role = form.get("role", "").strip()
    home = view.caller if session.role is None else None
    caller = home or Caller(
        principal_of_key(view.platform, session.home.access_key_id),
        _source(view),
        view.request.headers.get("user-agent", ""),
    )
    view.caller = caller  # the role is assumed as the signed-in user, not a previous role
    name = _SESSION_NAME.sub("-", session.home.label)[:64] or "console"
    params = {"RoleArn": f"arn:aws:iam::{account}:role/{role}", "RoleSessionName": name}
    out = view.act("sts", "AssumeRole", params, f"Switched to {role} in {account}.")
    if out is None:
        return redirect(f"{BASE}/switch-role?" + urlencode({"account": account, "role": role}))
    credentials = out["Credentials"]
    arn = out["AssumedRoleUser"]["Arn"]
    display = form.get("display_name", "").strip() or f"{role}"
    session.role = Identity(credentials["AccessKeyId"], arn, account, display)
    return redirect(f"{BASE}/")


def switch_back(view: View) -> Response:
    """Return to the signed-in user."""
    session = view.session
    assert session is not None
    session.role = None
    session.tell("ok", f"Back to {session.home.label}.")
    return redirect(f"{BASE}/")


def routes(console: Console) -> list[Route]:
    """The sign-in and switch-role routes."""
    return [
        Route("/signin", page(console, signin_page, signed_in=False), methods=["GET"]),
        Route("/signin", page(console, signin_submit, signed_in=False), methods=["POST"]),
        Route("/signout", page(console, signout), methods=["POST"]),
        Route("/change-password", page(console, change_password_page), methods=["GET"]),
        Route("/change-password", page(console, change_password), methods=["POST"]),
        Route("/switch-role", page(console, switch_page), methods=["GET"]),
        Route("/switch-role", page(console, switch_submit), methods=["POST"]),
        Route("/switch-back", page(console, switch_back), methods=["POST"]),
    ]


__all__ = ["label_of", "routes"]
