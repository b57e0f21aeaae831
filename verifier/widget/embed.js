/* The loader a partner page includes:
 *   <script src="https://HOST/embed.js" data-key="KEY" data-lang="zh-Hans" async></script>
 * It puts the check in an iframe right after the script tag. The frame is a separate document on
 * our origin, so the page's CSS and scripts cannot reach into it, nor ours into the page. The only
 * traffic is the frame telling us its height, accepted only from our origin and our frame.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) { return; }
  var ours = new URL(script.src, document.baseURI).origin;
  var key = script.getAttribute("data-key") || "";
  var lang = script.getAttribute("data-lang") || "";
  var TITLES = {
    "zh-Hans": ["核验仲裁短信", "核验工具无法在此页面加载。", "在新窗口中打开核验工具"],
    "zh-Hant": ["核驗仲裁短信", "核驗工具無法在此頁面載入。", "在新視窗中開啟核驗工具"],
    en: ["Check an arbitration notice", "The check could not load on this page.", "Open the check in a new window"]
  };
  /* Own keys only: TITLES["__proto__"] or TITLES["constructor"] is Object's, and read "undefined" */
  if (!Object.prototype.hasOwnProperty.call(TITLES, lang)) { lang = ""; }
  var words = TITLES[lang || "zh-Hans"];

  var url = new URL("/embed", ours);
  if (key) { url.searchParams.set("key", key); }
  if (lang) { url.searchParams.set("lang", lang); }
  url.searchParams.set("parent", window.location.origin);

  var frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = words[0];
  frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.setAttribute("data-verifier-embed", "");
  /* Every property a page's rules for its own iframes (video wrappers, theme resets) can use to
   * hide, move, shrink or clip ours, pinned inline with !important, which no stylesheet beats. */
  var style = { display: "block", width: "100%", "max-width": "100%", "min-width": "0",
                height: "560px", "max-height": "none", "min-height": "0", border: "0",
                margin: "0", padding: "0", overflow: "hidden", background: "transparent",
                position: "static", float: "none", "box-sizing": "content-box",
                visibility: "visible", opacity: "1", transform: "none", scale: "none",
                rotate: "none", translate: "none", zoom: "1", filter: "none",
                "clip-path": "none", mask: "none", "pointer-events": "auto",
                "content-visibility": "visible" };
  Object.keys(style).forEach(function (k) { frame.style.setProperty(k, style[k], "important"); });
  script.parentNode.insertBefore(frame, script.nextSibling);

  var ready = false;
  window.addEventListener("message", function (event) {
    if (event.origin !== ours || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (!data || typeof data !== "object") { return; }
    if (data.type === "verifier:ready") {
      ready = true;
      frame.setAttribute("data-ready", "");
    } else if (data.type === "verifier:size" && typeof data.height === "number" && isFinite(data.height)) {
      var h = Math.max(120, Math.min(20000, Math.ceil(data.height)));
      frame.style.setProperty("height", h + "px", "important");
    }
  });

  /* If the frame loads but never says hello (refused by its CSP, or the service is down), say so
   * on the page, with a link to the standalone check. Built as text, never markup. */
  frame.addEventListener("load", function () {
    window.setTimeout(function () {
      if (ready || frame.nextSibling && frame.nextSibling.hasAttribute &&
          frame.nextSibling.hasAttribute("data-verifier-fallback")) { return; }
      var note = document.createElement("p");
      note.setAttribute("data-verifier-fallback", "");
      note.setAttribute("role", "status");
      note.appendChild(document.createTextNode(words[1] + " "));
      var link = document.createElement("a");
      var standalone = new URL("/embed", ours);
      if (lang) { standalone.searchParams.set("lang", lang); }
      link.href = standalone.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = words[2];
      note.appendChild(link);
      frame.style.setProperty("display", "none", "important");
      frame.parentNode.insertBefore(note, frame.nextSibling);
    }, 3000);
  });
}());
