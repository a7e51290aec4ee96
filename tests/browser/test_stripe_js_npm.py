"""The real `@stripe/stripe-js` (installed from the npm registry, its `index` and `pure` builds) in Chromium:
`loadStripe` fetches `https://js.stripe.com/endive/stripe.js` (its release train), which the test routes to the
emulator's shim; it logs no version warning, and `collectFinancialConnectionsAccounts` links an account."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import serve_folder
from tests.browser.test_auth_flow import Api
from tests.browser.test_shim import api, drive_new_link  # noqa: F401 - the fixture, shared

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shop ({build} build)</title></head>
<body><p>checkout</p>
<script type="module">
  import {{loadStripe}} from "./node_modules/@stripe/stripe-js/dist/{build}.mjs";
  window.loadStripeFromNpm = loadStripe;
  window.npmReady = true;
</script></body></html>
"""


@pytest.fixture(scope="module")
def stripe_js_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("npm") is None:
        pytest.skip("needs npm (on every CI machine) to install @stripe/stripe-js from the registry")
    folder: Path = tmp_path_factory.mktemp("stripe-js")
    (folder / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                                "@stripe/stripe-js@^10"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    for build in ("index", "pure"):
        (folder / f"{build}.html").write_text(PAGE.format(build=build), encoding="utf-8")

    with serve_folder(folder) as url:
        yield url


@pytest.mark.parametrize("build", ["index", "pure"])
def test_the_real_stripe_js_loads_the_shim_and_links_an_account(page: Any, stripe_js_site: str, api: Api,  # noqa: F811
                                                                build: str) -> None:
    shim = httpx.get(f"{api.url}/endive/stripe.js", timeout=10).text
    requested: list[str] = []
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))

    def fulfill(route: Any) -> None:
        requested.append(route.request.url)
        route.fulfill(body=shim, content_type="application/javascript")

    page.add_init_script(f"window.STRIPE_FC_EMULATOR_URL = {json.dumps(api.url)};")
    page.route("https://js.stripe.com/**", fulfill)
    page.goto(f"{stripe_js_site}/{build}.html")
    page.wait_for_function("window.npmReady === true")
    session = api.post("/v1/financial_connections/sessions", {"permissions[]": "payment_method",
                                                              "account_holder[type]": "account",
                                                              "account_holder[account]": "acct_platform"})
    page.evaluate("([pk, secret]) => { window.out = null; window.loadStripeFromNpm(pk)"
                  ".then(stripe => stripe.collectFinancialConnectionsAccounts({clientSecret: secret}))"
                  ".then(result => { window.out = result; }, error => { window.out = {thrown: String(error)}; }); }",
                  [api.pk, session["client_secret"]])
    drive_new_link(page)
    page.wait_for_function("window.out !== null")
    result = page.evaluate("window.out")
    assert "thrown" not in result, result
    assert result["financialConnectionsSession"]["accounts"][0]["display_name"] == "Sample Checking Account"
    assert requested == ["https://js.stripe.com/endive/stripe.js"]  # the release train's URL, as stripe-js 10 loads
    assert not [line for line in console if "expected Stripe.js" in line or "Failed to load" in line], console
    assert page.evaluate("window.Stripe.version") == "endive"
