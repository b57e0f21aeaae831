"""The widget in real headless Chromium (the system's /usr/bin/chromium, driven by Playwright).

Three loopback origins: the service (127.0.0.1:A), a partner page that embeds it
(localhost:B, allowed in the partners file) and a stranger's page (127.0.0.1:C, not allowed).
Screenshots go to artifacts/screenshots/ (desktop 1280 px and phone 360 px, each language).
"""

from __future__ import annotations

import asyncio
import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from web_support import bundled_holder  # noqa: F401
from widget_support import (
    GENUINE,
    SCAM,
    widget_settings,
    write_partners,
)
from verifier.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
KEY = "cg-browser-test"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium: apt-get install "
                       "-y chromium fonts-noto-cjk (.ci/run installs them)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the test extra)")

# The partner's own styles try hard to restyle everything; none of it may reach the frame.
PARTNER_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ margin: 0; padding: 12px; background: #f3f1ea; font-family: serif; }}
  h1, h2, p, label, button, textarea, main {{
    color: #006644 !important; font-family: serif !important;
  }}
  iframe {{ border: 5px dashed #006644; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
{embed}
<p>页脚 · footer</p>
</body></html>"""


class Servers:
    """The service and two other sites, on loopback, in a thread with its own event loop."""

    def __init__(self, holder: Any, tmp: Path) -> None:
        self.holder = holder
        self.tmp = tmp
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners: list[web.AppRunner] = []
        self.verifier = self.partner = self.stranger = ""

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    def stop(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    async def _serve(self, app: web.Application) -> int:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.runners.append(runner)
        return runner.addresses[0][1]

    def _site(self, title: str, intro: str) -> web.Application:
        app = web.Application()

        def page(embed: str) -> web.Response:
            return web.Response(text=PARTNER_PAGE.format(title=title, intro=intro, embed=embed),
                                content_type="text/html")

        async def embed(request: web.Request) -> web.Response:
            lang = request.query.get("lang", "zh-Hans")
            return page(f'<script src="{self.verifier}/embed.js" data-key="{KEY}" '
                        f'data-lang="{lang}" async></script>')

        async def forged(request: web.Request) -> web.Response:
            # A stranger frames /embed directly, claiming to be the partner.
            src = f"{self.verifier}/embed?key={KEY}&parent={self.partner}"
            return page(f'<iframe id="forged" src="{src}" title="forged"></iframe>')

        async def bare(request: web.Request) -> web.Response:
            return page(f'<iframe id="bare" src="{self.verifier}/embed" title="bare"></iframe>')

        app.router.add_get("/", embed)
        app.router.add_get("/forged", forged)
        app.router.add_get("/bare", bare)
        return app

    async def _start(self) -> None:
        partner_port = await self._serve(self._site("某市消费者协会", "收到仲裁短信？先核验一下。"))
        stranger_port = await self._serve(self._site("陌生网站", "这个网站没有获准嵌入核验工具。"))
        self.partner = f"http://localhost:{partner_port}"
        self.stranger = f"http://127.0.0.1:{stranger_port}"
        partners = write_partners(self.tmp, [
            {"key": KEY, "name": "某市消费者协会", "origins": [self.partner]},
        ])
        app = create_app(widget_settings(partners=partners),
                         registry_holder=self.holder)
        self.verifier = f"http://127.0.0.1:{await self._serve(app)}"

    async def _stop(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()


@pytest.fixture(scope="module")
def servers(bundled_holder, tmp_path_factory) -> Iterator[Servers]:  # noqa: F811
    s = Servers(bundled_holder, tmp_path_factory.mktemp("partners"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # launch() gives every browser a fresh temporary user-data dir; never a downloaded browser.
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visit:
    """One browser context: records every request (all must stay on our loopback sites)."""

    def __init__(self, browser: Any, servers: Servers, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           locale="zh-CN")
        self.requests: list[Any] = []
        self.responses: list[Any] = []
        self.context.on("request", lambda r: self.requests.append(r))
        self.context.on("response", lambda r: self.responses.append(r))
        self.page = self.context.new_page()
        self.servers = servers

    def frame(self) -> Any:
        return self.page.frame_locator("iframe[data-verifier-embed]")

    def verify_calls(self) -> list[Any]:
        return [r for r in self.requests if r.url.endswith("/v1/verify")]

    def check_traffic(self) -> None:
        allowed = (self.servers.verifier, self.servers.partner, self.servers.stranger)
        strays = [r.url for r in self.requests if not r.url.startswith(allowed)]
        assert strays == [], "no third-party requests"
        assert self.context.cookies() == [], "no cookies"
        for frame in self.page.frames:
            if frame.url.startswith(self.servers.verifier):
                # (third-party frames may be denied storage altogether: that counts as empty)
                assert frame.evaluate("""() => { try { return localStorage.length +
                    sessionStorage.length; } catch (e) { return 0; } }""") == 0


@pytest.fixture
def visit(browser, servers) -> Iterator[Any]:
    made: list[Visit] = []

    def make(width: int = 1280, height: int = 900) -> Visit:
        v = Visit(browser, servers, width, height)
        made.append(v)
        return v

    yield make
    for v in made:
        v.context.close()


def submit(frame: Any, text: str) -> None:
    frame.locator("#vw-text").fill(text)
    frame.locator("#vw-submit").click()


def expect_verdict(frame: Any, verdict: str, words: str) -> Any:
    banner = frame.locator(f".vw-banner[data-verdict='{verdict}']")
    sync_api.expect(banner).to_be_visible(timeout=15_000)
    sync_api.expect(banner.locator(".vw-verdict")).to_have_text(words)
    return banner


def screenshot(page: Any, name: str, width: int, height: int) -> None:
    """The whole page. Chromium paints out-of-process frames only inside the viewport, so a
    full_page capture cuts the widget off: grow the viewport to the page instead."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, full)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / name))
    page.set_viewport_size({"width": width, "height": height})


CONTRAST_JS = """() => {
  const lum = (c) => { const v = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((x) => {
      x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = (el) => { for (; el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      const a = c.match(/[\\d.]+/g); if (a && (a.length < 4 || Number(a[3]) > 0.5)) return c; }
    return "rgb(255, 255, 255)"; };
  const bad = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const a = lum(getComputedStyle(el).color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName + "." + el.className + " " + ratio.toFixed(2));
  }
  return bad;
}"""

LANG_STEPS = [
    ("zh-Hans", None, "很可能是诈骗", "核验仲裁短信"),
    ("zh-Hant", "繁體", "很可能是詐騙", "核驗仲裁短信"),
    ("en", "English", "Likely a scam", "Check an arbitration notice"),
]


@pytest.mark.parametrize(("device", "width", "height"),
                         [("desktop", 1280, 900), ("phone", 360, 780)])
def test_partner_page_scam_in_three_languages(visit, servers, device, width, height):
    v = visit(width, height)
    v.page.goto(servers.partner + "/")
    frame = v.frame()
    sync_api.expect(frame.locator("h1")).to_have_text("核验仲裁短信")
    submit(frame, SCAM)
    for lang, button, verdict_words, heading in LANG_STEPS:
        if button is not None:
            frame.get_by_role("button", name=button, exact=True).click()
        banner = expect_verdict(frame, "likely_scam", verdict_words)
        sync_api.expect(frame.locator("html")).to_have_attribute("lang", lang)
        sync_api.expect(frame.locator("h1")).to_have_text(heading)
        sync_api.expect(frame.locator("#vw-status")).to_contain_text(verdict_words)
        assert "✕" in banner.inner_text(), "an icon as well as colour"
        warnings = frame.locator(".vw-reason-warn")
        assert warnings.count() >= 2
        codes = {warnings.nth(i).get_attribute("data-code") for i in range(warnings.count())}
        assert {"BODY_KNOWN_FAKE", "CONTENT_THREAT_CONTACTS"} <= codes
        marks = frame.locator("mark.vw-mark-warn").all_inner_texts()
        assert "网络仲裁委员会" in marks and any("13800138000" in m for m in marks)
        assert frame.locator(".vw-advice li[data-kind='report']").count() == 1
        sync_api.expect(frame.locator(".vw-advice")).to_contain_text("96110")
        pressed = frame.locator("[data-set-lang][aria-pressed='true']")
        sync_api.expect(pressed).to_have_attribute("data-set-lang", lang)
        # sized to its content by postMessage: no inner scrollbar, no big gap
        inner = frame.locator("body").evaluate("b => Math.ceil(b.getBoundingClientRect().height)")
        sync_api.expect(v.page.locator("iframe[data-verifier-embed]")).to_have_attribute(
            "style", re.compile(rf"height: {inner}px"), timeout=5_000)
        frame_el = v.page.locator("iframe[data-verifier-embed]")
        overflow = frame.locator("html").evaluate("h => h.scrollWidth - h.clientWidth")
        assert overflow <= 0, f"horizontal scrolling inside the widget at {width}px"
        assert frame_el.bounding_box()["width"] <= width
        assert frame.locator("body").evaluate(CONTRAST_JS) == []
        screenshot(v.page, f"widget-{device}-{lang}.png", width, height)
    # the reasons come back in the chosen language
    sync_api.expect(frame.locator(".vw-reason-warn").first).to_contain_text(re.compile(r"[A-Za-z]{4}"))
    assert len(v.verify_calls()) == 3, "each language switch asks the API again"
    body = v.verify_calls()[-1].post_data_json
    assert body["lang"] == "en" and body["text"] == SCAM
    assert v.verify_calls()[0].headers["x-verifier-key"] == KEY
    v.check_traffic()


def test_partner_styles_and_scripts_cannot_reach_in(visit, servers):
    v = visit()
    v.page.goto(servers.partner + "/")
    frame = v.frame()
    sync_api.expect(frame.locator("h1")).to_be_visible()
    assert frame.locator("h1").evaluate("h => getComputedStyle(h).color") != "rgb(0, 102, 68)"
    assert v.page.locator("h1").evaluate("h => getComputedStyle(h).color") == "rgb(0, 102, 68)"
    reach = v.page.evaluate("""() => { const f = document.querySelector('iframe');
        try { return f.contentDocument === null; } catch (e) { return true; } }""")
    assert reach is True
    assert v.page.evaluate("typeof window.verifier === 'undefined'"), "no globals leaked"
    sandbox = v.page.locator("iframe[data-verifier-embed]").get_attribute("sandbox")
    assert "allow-top-navigation" not in sandbox


def test_genuine_court_notice_shows_no_warning(visit, servers):
    v = visit()
    v.page.goto(servers.partner + "/?lang=zh-Hans")
    frame = v.frame()
    submit(frame, GENUINE)
    banner = expect_verdict(frame, "likely_genuine", "看起来是真实通知")
    assert "✓" in banner.inner_text()
    assert frame.locator(".vw-reason-warn").count() == 0
    assert frame.locator("mark.vw-mark-warn").count() == 0
    assert frame.locator(".vw-reason-ok").count() >= 1
    sync_api.expect(frame.locator(".vw-inst")).to_contain_text("court.gov.cn")
    link = frame.locator(".vw-inst a")
    sync_api.expect(link.first).to_have_attribute("rel", "noopener noreferrer")
    v.check_traffic()


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


@pytest.mark.parametrize("name", ["网络仲\u202d裁委员会", "网络仲裁\u202e会员委\u202c"])
def test_bidi_controls_in_an_echoed_name_cannot_reorder_the_widgets_words(visit, servers, name):
    # A name quoted in a reason came with the controls it was sent with: an override left open
    # inside it reversed the rest of the widget's own sentence. Now it is quoted as shown, as
    # plain text; the copy of the message the person pasted keeps them.
    v = visit()
    v.page.goto(servers.partner + "/?lang=zh-Hans")
    frame = v.frame()
    text = f"【{name}】您的欠款案件已立案，请今天联系专员 13800138000，否则冻结名下账户。"
    submit(frame, text)
    expect_verdict(frame, "likely_scam", "很可能是诈骗")
    reasons = frame.locator(".vw-reason-warn").all_inner_texts()
    assert not [r for r in reasons if _BIDI.search(r)], reasons
    assert any("“网络仲裁委员会”" in r for r in reasons), reasons
    assert frame.locator(".vw-copy").text_content() == text
    v.check_traffic()


def _embed_response(v: Visit) -> Any:
    found = [r for r in v.responses if "/embed?" in r.url or r.url.endswith("/embed")]
    assert found, "the frame asked for /embed"
    return found[-1]


def _frame_rendered(v: Visit) -> bool:
    return any(f.url.startswith(v.servers.verifier) and f.locator("#vw-form").count() > 0
               for f in v.page.frames if f is not v.page.main_frame)


def test_stranger_cannot_embed_with_the_script(visit, servers):
    v = visit()
    v.page.goto(servers.stranger + "/")
    sync_api.expect(v.page.locator("[data-verifier-fallback]")).to_be_visible(timeout=10_000)
    response = _embed_response(v)
    assert response.status == 403
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert not _frame_rendered(v)
    v.check_traffic()


def test_stranger_cannot_frame_it_by_claiming_to_be_the_partner(visit, servers):
    v = visit()
    v.page.goto(servers.stranger + "/forged")
    v.page.wait_for_load_state("load")
    response = _embed_response(v)
    assert response.status == 200  # the server believed the claim; the browser does not
    ancestors = response.headers["content-security-policy"].split("frame-ancestors", 1)[1]
    assert servers.partner in ancestors and servers.stranger not in ancestors
    v.page.wait_for_timeout(500)
    assert not _frame_rendered(v), "Chromium refused the frame (frame-ancestors)"


def test_default_page_is_not_frameable_elsewhere(visit, servers):
    v = visit()
    v.page.goto(servers.stranger + "/bare")
    v.page.wait_for_load_state("load")
    assert "frame-ancestors 'self'" in _embed_response(v).headers["content-security-policy"]
    v.page.wait_for_timeout(500)
    assert not _frame_rendered(v)
    # ...while on its own origin it works as a standalone page
    v.page.goto(servers.verifier + "/embed?lang=en")
    submit(v.page, SCAM)
    expect_verdict(v.page, "likely_scam", "Likely a scam")


def test_keyboard_only(visit, servers):
    v = visit(360, 780)
    v.page.goto(servers.partner + "/")
    frame = next(f for f in _wait_frames(v) if f.url.startswith(servers.verifier))
    sync_api.expect(frame.locator("#vw-form")).to_be_visible()

    def focused() -> str:
        return frame.evaluate("document.hasFocus() ? (document.activeElement.id || "
                              "document.activeElement.getAttribute('data-set-lang') || '') : ''")

    order = []
    for _ in range(20):
        v.page.keyboard.press("Tab")
        order.append(focused())
        if order[-1] == "vw-text":
            break
    assert order[-1] == "vw-text", f"Tab never reached the text box: {order}"
    assert order[-4:-1] == ["zh-Hans", "zh-Hant", "en"], "language switch first, then the form"
    outline = frame.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "visible focus"
    v.page.keyboard.insert_text(SCAM)
    v.page.keyboard.press("Tab")
    assert focused() == "vw-sender"
    v.page.keyboard.press("Tab")
    assert focused() == "vw-submit"
    v.page.keyboard.press("Enter")
    status = frame.locator("#vw-status")
    sync_api.expect(status).to_contain_text("很可能是诈骗", timeout=15_000)
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    assert frame.locator("textarea").evaluate("t => t.labels.length") == 1
    assert frame.locator("#vw-sender").evaluate("t => t.labels.length") == 1
    # an empty submission is explained, and focus goes back to the text box
    frame.locator("#vw-text").fill("")
    frame.locator("#vw-submit").focus()
    v.page.keyboard.press("Enter")
    sync_api.expect(frame.locator("#vw-error")).to_be_visible()
    assert focused() == "vw-text"
    assert frame.locator("#vw-text").get_attribute("aria-invalid") == "true"


def _wait_frames(v: Visit) -> list[Any]:
    v.page.locator("iframe[data-verifier-embed][data-ready]").wait_for(timeout=10_000)
    return v.page.frames


@pytest.mark.parametrize("lang", ["__proto__", "constructor", "toString", "<img src=x onerror=alert(1)>"])
def test_a_hostile_data_lang_falls_back_to_simplified_chinese(visit, servers, lang):
    # embed.js looked the language up with TITLES[lang]: "__proto__" or "constructor" found
    # Object's own members, so the frame's title and the fallback note read "undefined"
    v = visit()
    dialogs: list[str] = []
    v.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    v.page.goto(servers.partner + "/?lang=" + urllib.parse.quote(lang))
    frame_el = v.page.locator("iframe[data-verifier-embed]")
    sync_api.expect(frame_el).to_have_attribute("data-ready", "", timeout=10_000)
    assert frame_el.get_attribute("title") == "核验仲裁短信"
    sync_api.expect(v.frame().locator("#vw-title")).to_have_text("核验仲裁短信")
    src = frame_el.get_attribute("src")
    assert "lang" not in urllib.parse.parse_qs(urllib.parse.urlsplit(src).query)  # not passed on
    assert dialogs == [] and not v.page.locator("img[src=x]").count()
    v.check_traffic()


# Rules partner sites carry for their own embeds (responsive video wrappers, theme resets, lazy
# players), written for every iframe on the page: each one hid, shrank or clipped the widget,
# since embed.js pinned only its size, display, border, margin, padding and overflow.
HOST_IFRAME_RULES = """iframe {
  position: absolute !important; top: 0 !important; left: -9999px !important;
  max-height: 150px !important; min-height: 0 !important; opacity: 0 !important;
  visibility: hidden !important; transform: scale(0.2) !important; scale: 0.5 !important;
  float: right !important; clip-path: inset(0 0 90% 0) !important; pointer-events: none !important;
  zoom: 0.5 !important; box-sizing: border-box !important; filter: blur(4px) !important;
}"""


def test_the_host_pages_iframe_rules_cannot_hide_or_clip_the_widget(visit, servers):
    v = visit()
    v.page.goto(servers.partner + "/")
    v.page.add_style_tag(content=HOST_IFRAME_RULES)
    frame = v.frame()
    submit(frame, SCAM)
    expect_verdict(frame, "likely_scam", "很可能是诈骗")
    frame_el = v.page.locator("iframe[data-verifier-embed]")
    inner = frame.locator("body").evaluate("b => Math.ceil(b.getBoundingClientRect().height)")
    sync_api.expect(frame_el).to_have_attribute("style", re.compile(rf"height: {inner}px"), timeout=5_000)
    style = frame_el.evaluate("""f => { const s = getComputedStyle(f); return {position: s.position,
        opacity: s.opacity, visibility: s.visibility, transform: s.transform, scale: s.scale,
        clip: s.clipPath, events: s.pointerEvents, zoom: s.zoom, filter: s.filter, float: s.float}; }""")
    assert style == {"position": "static", "opacity": "1", "visibility": "visible", "transform": "none",
                     "scale": "none", "clip": "none", "events": "auto", "zoom": "1", "filter": "none",
                     "float": "none"}
    box = frame_el.bounding_box()
    assert box["x"] >= 0 and abs(box["height"] - inner) <= 1, (box, inner)  # all of it, on the page
    # the verdict is on screen and can be clicked through to: the page's footer comes after it
    footer = v.page.locator("body > p").last.bounding_box()
    assert footer["y"] >= box["y"] + box["height"] - 1
