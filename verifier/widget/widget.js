/* The check's page: asks POST /v1/verify and renders the answer.
 *
 * Every string from the user or the server goes into the page as text (textContent, DOM nodes),
 * never as markup. Nothing is stored: no cookies, no localStorage; the submitted text lives in
 * this page's memory only, to highlight it and to re-ask in another language.
 */
(function () {
  "use strict";

  var STRINGS = {
    "zh-Hans": {
      heading: "核验仲裁短信",
      intro: "收到自称“仲裁委”或“法院”的短信？粘贴到下面，看看它是否真实、为什么，以及该怎么做。",
      textLabel: "短信内容",
      textHint: "原样粘贴完整的短信。",
      senderLabel: "发送号码（可选）",
      senderHint: "例如 1069… 或 +86 138…",
      submit: "开始核验",
      checking: "正在核验……",
      needText: "请先粘贴短信内容或填写发送号码。",
      privacy: "您提交的内容只用于本次核验，不会被保存。本工具不使用 Cookie。",
      risk: "风险评分 {n}/100",
      verdict: {
        likely_scam: "很可能是诈骗",
        suspicious: "可疑",
        unverified: "无法确认",
        likely_genuine: "看起来是真实通知"
      },
      explain: {
        likely_scam: "多项相互独立的证据表明这是诈骗短信。不要付款，不要回拨，不要点击其中的链接。",
        suspicious: "发现了需要警惕的迹象。请只通过官方渠道核实，不要使用短信里的号码或链接。",
        unverified: "没有发现问题，但也无法确认它是真的。请通过官方渠道自行核实。",
        likely_genuine: "短信中的机构、号码和链接都属于官方渠道。仍建议通过下方的官方电话或网站核实案件。"
      },
      severity: { high: "高风险", medium: "中风险", low: "低风险", positive: "正常", info: "说明" },
      warningsTitle: "为什么",
      positivesTitle: "核对无误的地方",
      textTitle: "您提交的短信（已标出相关内容）",
      institutionTitle: "官方联系方式",
      institutionNote: "以下信息来自我们整理的机构名录，不是来自短信。",
      phone: "电话",
      sep: "：",
      website: "网站",
      adviceTitle: "建议您这样做",
      checkedTitle: "检查了哪些项目",
      status: "核验结果：{v}。发现 {n} 个警示。",
      errRate: "核验次数过多，请在 {s} 秒后重试。",
      errForbidden: "此网站未开通核验工具。",
      errInvalid: "无法核验这段内容，请检查后重试。",
      errBusy: "服务暂时繁忙，请稍后重试。",
      errNetwork: "无法连接核验服务，请检查网络后重试。"
    },
    "zh-Hant": {
      heading: "核驗仲裁短信",
      intro: "收到自稱「仲裁委」或「法院」的短信？貼到下面，看看它是否真實、為什麼，以及該怎麼做。",
      textLabel: "短信內容",
      textHint: "原樣貼上完整的短信。",
      senderLabel: "發送號碼（可選）",
      senderHint: "例如 1069… 或 +86 138…",
      submit: "開始核驗",
      checking: "正在核驗……",
      needText: "請先貼上短信內容或填寫發送號碼。",
      privacy: "您提交的內容只用於本次核驗，不會被保存。本工具不使用 Cookie。",
      risk: "風險評分 {n}/100",
      verdict: {
        likely_scam: "很可能是詐騙",
        suspicious: "可疑",
        unverified: "無法確認",
        likely_genuine: "看起來是真實通知"
      },
      explain: {
        likely_scam: "多項相互獨立的證據表明這是詐騙短信。不要付款，不要回撥，不要點擊其中的連結。",
        suspicious: "發現了需要警惕的跡象。請只透過官方渠道核實，不要使用短信裡的號碼或連結。",
        unverified: "沒有發現問題，但也無法確認它是真的。請透過官方渠道自行核實。",
        likely_genuine: "短信中的機構、號碼和連結都屬於官方渠道。仍建議透過下方的官方電話或網站核實案件。"
      },
      severity: { high: "高風險", medium: "中風險", low: "低風險", positive: "正常", info: "說明" },
      warningsTitle: "為什麼",
      positivesTitle: "核對無誤的地方",
      textTitle: "您提交的短信（已標出相關內容）",
      institutionTitle: "官方聯絡方式",
      institutionNote: "以下資訊來自我們整理的機構名錄，不是來自短信。",
      phone: "電話",
      sep: "：",
      website: "網站",
      adviceTitle: "建議您這樣做",
      checkedTitle: "檢查了哪些項目",
      status: "核驗結果：{v}。發現 {n} 個警示。",
      errRate: "核驗次數過多，請在 {s} 秒後重試。",
      errForbidden: "此網站未開通核驗工具。",
      errInvalid: "無法核驗這段內容，請檢查後重試。",
      errBusy: "服務暫時繁忙，請稍後重試。",
      errNetwork: "無法連線核驗服務，請檢查網路後重試。"
    },
    en: {
      heading: "Check an arbitration notice",
      intro: "Got a text claiming to come from an arbitration commission or a court? Paste it below to see whether it is genuine, why, and what to do.",
      textLabel: "Message text",
      textHint: "Paste the whole message exactly as you received it.",
      senderLabel: "Sender number (optional)",
      senderHint: "For example 1069… or +86 138…",
      submit: "Check this message",
      checking: "Checking…",
      needText: "Paste the message text or enter the sender first.",
      privacy: "What you submit is used only for this check and is not stored. This tool uses no cookies.",
      risk: "Risk score {n}/100",
      verdict: {
        likely_scam: "Likely a scam",
        suspicious: "Suspicious",
        unverified: "Not confirmed",
        likely_genuine: "Looks genuine"
      },
      explain: {
        likely_scam: "Several independent warning signs show this is a scam. Do not pay, call back or open its links.",
        suspicious: "Something in it is a warning sign. Verify only through official channels, never the number or link in the message.",
        unverified: "Nothing wrong was found, but nothing could be confirmed either. Verify it through official channels yourself.",
        likely_genuine: "The body, numbers and links in it all belong to official channels. Still confirm the case through the official phone or website below."
      },
      severity: { high: "High risk", medium: "Medium risk", low: "Low risk", positive: "OK", info: "Note" },
      warningsTitle: "Why",
      positivesTitle: "What checks out",
      textTitle: "Your message (relevant parts highlighted)",
      institutionTitle: "Official contact",
      institutionNote: "From our registry of institutions, not from the message.",
      phone: "Phone",
      sep: ": ",
      website: "Website",
      adviceTitle: "What to do",
      checkedTitle: "What was checked",
      status: "Result: {v}. {n} warning(s) found.",
      errRate: "Too many checks; try again in {s} seconds.",
      errForbidden: "The check is not enabled for this site.",
      errInvalid: "This cannot be checked; please review it and try again.",
      errBusy: "The service is busy; please try again shortly.",
      errNetwork: "Could not reach the check service; check your connection and try again."
    }
  };
  var LANGS = ["zh-Hans", "zh-Hant", "en"];
  var WARN = { high: 1, medium: 1, low: 1 };
  var DOMAIN_RE = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

  var body = document.body;
  var cfg = {
    key: body.getAttribute("data-key") || "",
    parent: body.getAttribute("data-parent") || ""
  };
  var lang = LANGS.indexOf(body.getAttribute("data-lang")) >= 0 ? body.getAttribute("data-lang") : "zh-Hans";
  var last = null;      // {text, sender} as submitted: the offsets in an answer refer to it
  var answer = null;    // the last answer shown
  var seq = 0;          // drops answers that arrive after a newer question

  function $(id) { return document.getElementById(id); }
  function t(name) { return STRINGS[lang][name]; }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? String(values[k]) : m; });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    }
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  // ------------------------------------------------------------ language

  function applyLang() {
    document.documentElement.lang = lang;
    document.title = t("heading");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      node.textContent = t(node.getAttribute("data-i18n"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-set-lang]"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-set-lang") === lang ? "true" : "false");
    });
  }

  function setLang(next) {
    if (LANGS.indexOf(next) < 0 || next === lang) { return; }
    lang = next;
    applyLang();
    hideError();
    if (last) { ask(); } else { postSize(); }
  }

  // ------------------------------------------------------------ asking

  function showError(message) {
    var box = $("vw-error");
    box.textContent = message;
    box.hidden = false;
    postSize();
  }
  function hideError() { $("vw-error").hidden = true; $("vw-error").textContent = ""; }

  function onSubmit(event) {
    event.preventDefault();
    var text = $("vw-text").value;
    var sender = $("vw-sender").value.trim();
    if (!text.trim() && !sender) {
      showError(t("needText"));
      $("vw-text").setAttribute("aria-invalid", "true");
      $("vw-text").focus();
      return;
    }
    $("vw-text").removeAttribute("aria-invalid");
    hideError();
    last = { text: text, sender: sender };
    ask();
  }

  function ask() {
    var mine = ++seq;
    var payload = { text: last.text, lang: lang };
    if (last.sender) { payload.sender = last.sender; }
    var headers = { "Content-Type": "application/json" };
    if (cfg.key) { headers["X-Verifier-Key"] = cfg.key; }
    $("vw-status").textContent = t("checking");
    $("vw-result").setAttribute("aria-busy", "true");
    postSize();
    fetch("/v1/verify", {
      method: "POST", headers: headers, body: JSON.stringify(payload),
      credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer"
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (mine !== seq) { return; }
        $("vw-result").removeAttribute("aria-busy");
        if (response.ok && data && data.verdict) {
          answer = data;
          render();
        } else {
          failed(response, data);
        }
      });
    }).catch(function () {
      if (mine !== seq) { return; }
      $("vw-result").removeAttribute("aria-busy");
      $("vw-status").textContent = "";
      showError(t("errNetwork"));
    });
  }

  function failed(response, data) {
    var message = t("errBusy");
    if (response.status === 429) {
      message = fill(t("errRate"), { s: response.headers.get("Retry-After") || "60" });
    } else if (response.status === 403) {
      message = t("errForbidden");
    } else if (response.status === 400 || response.status === 413 || response.status === 422) {
      message = t("errInvalid");
    }
    $("vw-status").textContent = "";
    showError(message);
  }

  // ------------------------------------------------------------ rendering

  function verdictWords(v) { return t("verdict")[v] || v; }

  function render() {
    var data = answer;
    var reasons = Array.isArray(data.reasons) ? data.reasons : [];
    var warnings = reasons.filter(function (r) { return WARN[r.severity]; });
    var positives = reasons.filter(function (r) { return r.severity === "positive"; });
    var infos = reasons.filter(function (r) { return r.severity === "info"; });
    var section = $("vw-result");
    var parts = [banner(data)];
    if (warnings.length) { parts.push(reasonList("warningsTitle", warnings, "vw-reason-warn")); }
    if (last && last.text && last.text.trim()) { parts.push(highlighted(last.text, reasons)); }
    if (positives.length) { parts.push(reasonList("positivesTitle", positives, "vw-reason-ok")); }
    var inst = institution(data.institution);
    if (inst) { parts.push(inst); }
    if (Array.isArray(data.advice) && data.advice.length) { parts.push(adviceList(data.advice)); }
    if (infos.length) { parts.push(checked(infos)); }
    section.replaceChildren.apply(section, parts);
    section.hidden = false;
    $("vw-status").textContent = fill(t("status"), { v: verdictWords(data.verdict), n: warnings.length });
    postSize();
  }

  function banner(data) {
    var v = String(data.verdict);
    var icons = { likely_scam: "✕", suspicious: "!", unverified: "?", likely_genuine: "✓" };
    return el("div", { "class": "vw-banner vw-v-" + v.replace(/[^a-z_]/g, ""), "data-verdict": v }, [
      el("span", { "class": "vw-icon", "aria-hidden": "true" }, [icons[v] || "?"]),
      el("div", { "class": "vw-banner-text" }, [
        el("h2", { id: "vw-result-title", "class": "vw-verdict" }, [verdictWords(v)]),
        el("p", null, [t("explain")[v] || ""]),
        el("p", { "class": "vw-risk" }, [fill(t("risk"), { n: Number(data.risk) || 0 })])
      ])
    ]);
  }

  function reasonList(titleKey, reasons, cls) {
    var items = reasons.map(function (r) {
      var sev = t("severity")[r.severity] || "";
      return el("li", { "class": cls + " vw-sev-" + String(r.severity).replace(/[^a-z]/g, ""),
                        "data-code": String(r.code) }, [
        el("span", { "class": "vw-sev" }, [sev]), " ", String(r.message || "")
      ]);
    });
    return el("div", { "class": "vw-block" }, [el("h3", null, [t(titleKey)]), el("ul", { "class": "vw-reasons" }, items)]);
  }

  /* A copy of the submitted text with each piece of evidence marked. Offsets count code points
   * (the API's), so the text is split with Array.from, not by UTF-16 units. */
  function highlighted(text, reasons) {
    var chars = Array.from(text);
    var kind = new Array(chars.length);
    reasons.forEach(function (r) {
      var k = WARN[r.severity] ? "warn" : r.severity === "positive" ? "ok" : null;
      if (!k || !Array.isArray(r.evidence)) { return; }
      r.evidence.forEach(function (e) {
        if (!e || e.field !== "text" || typeof e.start !== "number" || typeof e.end !== "number") { return; }
        var end = Math.min(e.end, chars.length);
        for (var i = Math.max(0, e.start); i < end; i++) {
          if (kind[i] !== "warn") { kind[i] = k; }
        }
      });
    });
    var out = el("p", { "class": "vw-copy" });
    var i = 0;
    while (i < chars.length) {
      var j = i;
      while (j < chars.length && kind[j] === kind[i]) { j++; }
      var piece = chars.slice(i, j).join("");
      out.appendChild(kind[i] ? el("mark", { "class": "vw-mark-" + kind[i] }, [piece])
                              : document.createTextNode(piece));
      i = j;
    }
    return el("div", { "class": "vw-block" }, [el("h3", null, [t("textTitle")]), out]);
  }

  function institution(inst) {
    if (!inst || typeof inst !== "object") { return null; }
    var name = lang === "en" && inst.name_en ? inst.name_en : inst.name;
    var rows = [el("p", { "class": "vw-inst-name" }, [String(name || "")])];
    (inst.official_phones || []).forEach(function (p) {
      rows.push(el("p", null, [t("phone") + t("sep"), el("span", { "class": "vw-contact" }, [String(p)])]));
    });
    (inst.official_domains || []).forEach(function (d) {
      d = String(d).toLowerCase();
      var value = DOMAIN_RE.test(d)
        ? el("a", { href: "https://" + d + "/", target: "_blank", rel: "noopener noreferrer", "class": "vw-contact" }, [d])
        : el("span", { "class": "vw-contact" }, [d]);
      rows.push(el("p", null, [t("website") + t("sep"), value]));
    });
    return el("div", { "class": "vw-block vw-inst" }, [
      el("h3", null, [t("institutionTitle")]),
      el("p", { "class": "vw-hint" }, [t("institutionNote")])
    ].concat(rows));
  }

  function adviceList(advice) {
    var items = advice.map(function (a) {
      var children = [el("p", null, [String(a.message || "")])];
      if (Array.isArray(a.contacts) && a.contacts.length) {
        children.push(el("ul", { "class": "vw-contacts" }, a.contacts.map(function (c) {
          return el("li", null, [String(c)]);
        })));
      }
      return el("li", { "data-kind": String(a.kind || "") }, children);
    });
    return el("div", { "class": "vw-block" }, [el("h3", null, [t("adviceTitle")]), el("ul", { "class": "vw-advice" }, items)]);
  }

  function checked(infos) {
    return el("details", { "class": "vw-block vw-checked" }, [
      el("summary", null, [t("checkedTitle")]),
      el("ul", { "class": "vw-reasons" }, infos.map(function (r) {
        return el("li", { "data-code": String(r.code) }, [String(r.message || "")]);
      }))
    ]);
  }

  // ------------------------------------------------------------ talking to the embedding page

  /* Only to the parent origin the server vetted for this key; the browser drops the message if
   * the real parent is someone else. Nothing but the height and "ready" is ever sent. */
  function post(message) {
    if (!cfg.parent || window.parent === window) { return; }
    window.parent.postMessage(message, cfg.parent);
  }
  var lastHeight = 0;
  function postSize() {
    var h = Math.ceil(document.body.getBoundingClientRect().height);
    if (h !== lastHeight) {
      lastHeight = h;
      post({ type: "verifier:size", height: h });
    }
  }

  // ------------------------------------------------------------ start

  applyLang();
  $("vw-form").addEventListener("submit", onSubmit);
  Array.prototype.forEach.call(document.querySelectorAll("[data-set-lang]"), function (b) {
    b.addEventListener("click", function () { setLang(b.getAttribute("data-set-lang")); });
  });
  document.addEventListener("toggle", postSize, true);
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(postSize).observe(document.body);
  }
  post({ type: "verifier:ready" });
  postSize();
}());
