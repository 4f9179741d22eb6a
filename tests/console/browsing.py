"""Browser test support: sign in through the console's own forms, as a person would."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.support import LiveServer

# Generous: the console's pages wait on a loaded two-core machine like everything else.
TIMEOUT_MS = 60_000


def _new_page(browser: Browser, server: LiveServer) -> Page:
    """A new browser context's page on the console's sign-in form."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/console/")
    return page


def signed_in_with_password(
    browser: Browser, server: LiveServer, account: str, user: str, password: str
) -> Page:
    """A new browser context's page, signed in as an IAM user with its password."""
    page = _new_page(browser, server)
    page.get_by_label("Account ID").fill(account)
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page


def signed_in_page(browser: Browser, server: LiveServer, keys: tuple[str, str]) -> Page:
    """A new browser context's page, signed in to the console with an access key pair."""
    page = _new_page(browser, server)
    page.get_by_role("link", name="Sign in with access keys").click()
    page.get_by_label("Access key ID").fill(keys[0])
    page.get_by_label("Secret access key").fill(keys[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    return page


def version_page(page: Page, server: LiveServer, group: str, version: int) -> None:
    """Open a model version from the nav bar, as a person finds it."""
    page.get_by_role("navigation").get_by_role("link", name="Model groups").click()
    page.get_by_role("link", name=group, exact=True).click()
    page.get_by_role("link", name=f"Version {version}", exact=True).click()
    expect(page.get_by_role("heading", name=f"Version {version}")).to_be_visible()
