"""HTML of the hosted auth flow and the dashboard: plain functions, every piece of data escaped, no build step."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

from emulator.core.urls import http_url

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1a1f36;background:#fff}
main{max-width:680px;margin:0 auto;padding:20px}
h1{font-size:20px;margin:0 0 12px} h2{font-size:16px;margin:22px 0 8px}
button,.button{font:inherit;padding:8px 14px;border-radius:6px;border:1px solid #635bff;background:#635bff;color:#fff;
cursor:pointer;text-decoration:none;display:inline-block;margin:4px 4px 4px 0}
button.secondary{background:#fff;color:#635bff} button:focus,a:focus,input:focus{outline:3px solid #a5a1ff}
.error{color:#c0123c} .muted{color:#697386} ul.plain{list-style:none;padding:0} li{margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border-bottom:1px solid #e3e8ee;padding:4px 6px;
text-align:left;vertical-align:top} code{font-size:12px}
"""


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, *, script: str = "") -> str:
    tail = f"<script>{script}</script>" if script else ""
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(title)}</title>"
            f"<meta name=viewport content='width=device-width'><style>{STYLE}</style></head>"
            f"<body><main>{body}</main>{tail}</body></html>")


def hidden(fields: Mapping[str, Any]) -> str:
    return "".join(f"<input type=hidden name='{e(k)}' value='{e(v)}'>" for k, v in fields.items() if v is not None)


def link(base: str, **query: Any) -> str:
    return e(f"{base}?{urlencode({k: v for k, v in query.items() if v is not None})}")


# -- the auth flow -------------------------------------------------------------------------------------------------

def consent(session: Mapping[str, Any], next_href: str, action: str, state: Mapping[str, Any]) -> str:
    permissions = "".join(f"<li>{e(p)}</li>" for p in session["permissions"])
    relink = session.get("relink_options")
    intro = "Relink your bank account" if relink else "Link your bank account"
    return page(intro, f"""
<h1>{e(intro)}</h1>
<p>This site will be able to access:</p><ul>{permissions}</ul>
<a class=button href="{next_href}" id=agree>Agree and continue</a>
<form method=post action="{e(action)}" style="display:inline">{hidden(state)}
<button class=secondary name=outcome value=cancel id=cancel>Cancel</button></form>""")


def institutions(items: Iterable[Mapping[str, Any]], query: str, base: str, state: Mapping[str, Any],
                 preselected: str | None) -> str:
    rows = []
    for item in items:
        label = e(item["name"]) + (" <span class=muted>(the bank you linked)</span>"
                                   if item["id"] == preselected else "")
        rows.append(f"<li><a href='{link(base, step='login', institution=item['id'], **state)}' "
                    f"data-institution='{e(item['name'])}'>{label}</a></li>")
    return page("Select your bank", f"""
<h1>Select your bank</h1>
<form method=get action="{e(base)}">{hidden({**state, "step": "institution"})}
<label>Search <input name=q value="{e(query)}" autofocus></label> <button>Search</button></form>
<ul class=plain id=institutions>{''.join(rows) or '<li class=muted>No bank matches.</li>'}</ul>""")


def login(institution: Mapping[str, Any], base: str, next_fields: Mapping[str, Any], action: str,
          state: Mapping[str, Any], problem: str = "") -> str:
    name = e(institution["name"])
    if institution["oauth"]:
        body = f"""<h1>Continue to {name}</h1>
<p class=muted>{name} opens its own window to let you choose what to share.</p>
<a class=button href="{link(base, **next_fields)}" id=login>Log in at {name}</a>"""
    else:
        said = f"<p class=error id=login-error>{e(problem)}</p>" if problem else ""
        body = f"""<h1>Log in to {name}</h1>{said}
<form method=post action="{e(action)}">{hidden({**state, "step": "login", "institution": institution["id"]})}
<label>Username <input name=username id=username autocomplete=off></label><br>
<label>Password <input name=password id=password type=password autocomplete=off></label><br>
<button id=login>Log in</button></form>"""
    return page(f"Log in to {institution['name']}", body + _login_exits(institution, action, state))


def _login_exits(institution: Mapping[str, Any], action: str, state: Mapping[str, Any]) -> str:
    return f"""<form method=post action="{e(action)}">{hidden({**state, "institution": institution["id"]})}
<button class=secondary name=outcome value=authentication_failed id=wrong-login>I can't log in</button>
<button class=secondary name=outcome value=cancel id=cancel>Cancel</button></form>"""


def credential_fields(entered: Mapping[str, Any]) -> str:
    """What the customer typed so far, carried to the next step (the bank reads it again at the end)."""
    fields = hidden({"username": entered["username"], "password": entered["password"]})
    return fields + "".join(f"<input type=hidden name=answers value='{e(a)}'>" for a in entered["answers"])


def question(institution: Mapping[str, Any], label: str, choices: Iterable[str], secret: bool,
             entered: Mapping[str, Any], action: str, state: Mapping[str, Any]) -> str:
    """A further prompt of the bank's login (a credential keyword asked it)."""
    options = list(choices)
    if options:
        field = "<select name=answers id=answer>" + "".join(
            f"<option value='{e(o)}'>{e(o)}</option>" for o in options) + "</select>"
    else:
        field = f"<input name=answers id=answer autocomplete=off{' type=password' if secret else ''}>"
    return page(label, f"""<h1>{e(institution["name"])}</h1>
<form method=post action="{e(action)}">{hidden({**state, "step": "login", "institution": institution["id"]})}
{credential_fields(entered)}<label><span id=question>{e(label)}</span> {field}</label><br>
<button id=continue>Continue</button></form>""" + _login_exits(institution, action, state))


def accounts(institution: Mapping[str, Any], choices: Iterable[Mapping[str, Any]], single: bool, action: str,
             state: Mapping[str, Any], notice: str = "", entered: Mapping[str, Any] | None = None) -> str:
    kind = "radio" if single else "checkbox"
    rows = []
    for choice in choices:
        disabled = "" if choice["allowed"] else " disabled"
        checked = " checked" if choice.get("checked") else ""
        why = "" if choice["allowed"] else f" <span class=muted>({e(choice['why'])})</span>"
        rows.append(f"<li><label><input type={kind} name=accounts value='{e(choice['value'])}'{checked}{disabled}> "
                    f"{e(choice['name'])} ····{e(choice['last4'])}</label>{why}</li>")
    notice_html = f"<p class=muted>{e(notice)}</p>" if notice else ""
    return page("Select accounts", f"""
<h1>Select accounts at {e(institution['name'])}</h1>{notice_html}
<form method=post action="{e(action)}">{hidden({**state, "institution": institution["id"]})}
{credential_fields(entered) if entered is not None else ""}<ul class=plain id=accounts>{''.join(rows)}</ul>
<button name=outcome value=success id=link-accounts>Link accounts</button>
<button class=secondary name=outcome value=cancel id=cancel>Cancel</button></form>""")


def result(session: Mapping[str, Any], error: str | None, return_url: str | None) -> str:
    status = session.get("status", "succeeded" if session["accounts"]["data"] else "failed")
    reason = (session.get("relink_result") or {}).get("failure_reason")
    if error:
        heading, detail = "Something went wrong", error
    elif status == "succeeded":
        names = ", ".join(a["display_name"] for a in session["accounts"]["data"])
        heading, detail = "Success", f"Linked: {names}"
    elif status == "cancelled":
        heading, detail = "Cancelled", "You did not link an account."
    else:
        explanations = {
            "no_account": "You logged in, but the account this site asked for was not among those you shared.",
            "no_authorization": "Your bank login did not succeed.",
            "other": "Your bank had a problem. Try again later.",
        }
        heading, detail = "We couldn't link your account", explanations.get(str(reason), "The link did not succeed.")
    done = {"type": "stripe-fc-emulator:done", "session": session["id"], "status": status}
    back = f"<a class=button href='{e(return_url)}' id=return>Return</a>" if return_url and http_url(return_url) else ""
    body = f"""<h1 id=result data-status='{e(status)}'>{e(heading)}</h1><p class={'error' if error else ''}>
{e(detail)}</p><button id=done onclick="finish()">Done</button>{back}"""
    script = (f"function finish(){{if(window.parent!==window)window.parent.postMessage({json.dumps(done)},'*');}}"
              f"{'' if error else 'finish();'}")
    return page(heading, body, script=script)


def problem(message: str) -> str:
    return page("Cannot continue", f"<h1>Cannot continue</h1><p class=error>{e(message)}</p>")


# -- the dashboard ---------------------------------------------------------------------------------------------------

def table(headers: list[str], rows: Iterable[list[str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def action_form(action_url: str, key: str, action: str, target: str, label: str, extra: str = "",
                csrf: str = "") -> str:
    return (f"<form method=post action='{e(action_url)}' style='display:inline'>"
            f"{hidden({'key': key, 'csrf': csrf, 'action': action, 'target': target})}{extra}"
            f"<button class=secondary data-action='{e(action)}' data-target='{e(target)}'>{e(label)}</button></form>")


def dashboard(key_masked: str, sections: list[tuple[str, str]], clock: Mapping[str, Any], key: str,
              action_url: str, message: str = "", csrf: str = "") -> str:
    nav = "".join(f"<a href='#{e(title.lower().replace(' ', '-'))}'>{e(title)}</a> · " for title, _ in sections)
    notice = f"<p class=muted id=notice>{e(message)}</p>" if message else ""
    clock_form = action_form(action_url, key, "advance_clock", "clock", "Advance clock",
                             "<label> by <input name=seconds size=8 value=86400> s</label>", csrf)
    body = [f"<h1>stripe-fc-emulator dashboard</h1><p class=muted>Namespace {e(key_masked)} · clock "
            f"<span id=clock>{e(clock['now'])}</span>{' (frozen)' if clock['frozen'] else ''} {clock_form}</p>",
            notice, f"<p>{nav}</p>"]
    for title, html in sections:
        body.append(f"<h2 id='{e(title.lower().replace(' ', '-'))}'>{e(title)}</h2>{html}")
    return page("Dashboard", "".join(body))


def key_form(action: str) -> str:
    return page("Dashboard", f"""<h1>stripe-fc-emulator dashboard</h1>
<form method=get action="{e(action)}"><label>API key of the namespace <input name=key placeholder=sk_test_…
autofocus></label> <button>Open</button></form>""")
