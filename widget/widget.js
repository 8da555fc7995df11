/*!
 * Clinic chat widget: a patient-education assistant on a clinic's website.
 *
 * Embed with one tag (options: widget/README.md):
 *   <script src="https://bot.example-clinic.org/widget.js"
 *           data-server="https://bot.example-clinic.org"
 *           data-title="Ask about nerve pain" defer></script>
 *
 * Talks to Rasa's REST channel: POST {server}/webhooks/rest/webhook
 * {"sender", "message", "metadata": {"language"}}. Plain JavaScript, no
 * dependencies. Its own texts are in English and Spanish: the visitor's choice
 * (the header's "Español" / "English" button), else data-language, else the
 * browser's languages, else English. Everything the
 * bot or the user writes is put on the page as text (createElement and
 * textContent only, never innerHTML), with a small safe formatting subset:
 * **bold**, line breaks, "- " bullet lists and http(s) links.
 *
 * Urgent replies (emergency, overdose, crisis) carry link buttons to call or
 * text a number ({"title": "Call 911", "url": "tel:911"}): they are shown as an
 * alert (role="alert") with one-tap call buttons, and the latest one stays
 * pinned above the input while it is scrolled out of view. A link button is
 * never sent back to the assistant as a payload.
 */
(function () {
  "use strict";

  // --- pure helpers, no DOM: also loaded by node --test (tests/widget/) ------
  var core = (function () {
    var DIAL_LINK = /^(tel|sms):(\+?[0-9]{2,15})$/i;

    function httpUrl(value, base) {
      // The URL if it is http(s), else null (javascript:, data:, relative junk...).
      try {
        var url = new URL(String(value), base);
        return url.protocol === "http:" || url.protocol === "https:" ? url : null;
      } catch (e) {
        return null;
      }
    }

    function fill(template, values) {
      return template.replace(/\{(\w+)\}/g, function (all, key) {
        return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
      });
    }

    function languageOf(value) {
      // "en" or "es" for an English or Spanish language tag (en, en-US, es-MX...), else null.
      var m = /^(en|es)(?:[-_]|$)/i.exec(String(value || "").trim());
      return m ? m[1].toLowerCase() : null;
    }

    function parseSuggestions(raw) {
      if (!raw) return [];
      var items = [];
      if (/^\s*\[/.test(raw)) {
        try {
          items = JSON.parse(raw);
        } catch (e) {
          items = [];
        }
      } else {
        items = raw.split("|");
      }
      var out = [];
      for (var i = 0; i < items.length && out.length < 6; i++) {
        var item = items[i];
        if (typeof item === "string" && item.trim()) {
          out.push({ title: item.trim(), payload: item.trim() });
        } else if (item && typeof item.title === "string" && item.title.trim()) {
          out.push({
            title: item.title.trim(),
            payload: typeof item.payload === "string" && item.payload ? item.payload : item.title.trim(),
          });
        }
      }
      return out;
    }

    function parseHex(hex) {
      var m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex).trim());
      if (!m) return null;
      var h = m[1].length === 3 ? m[1].replace(/(.)/g, "$1$1") : m[1];
      return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
    }

    function toHex(rgb) {
      return (
        "#" +
        rgb
          .map(function (c) {
            var s = Math.round(Math.max(0, Math.min(255, c))).toString(16);
            return s.length === 1 ? "0" + s : s;
          })
          .join("")
      );
    }

    function luminance(rgb) {
      var c = rgb.map(function (v) {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    }

    function contrast(a, b) {
      var la = luminance(a);
      var lb = luminance(b);
      return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    }

    function mix(a, b, weightA) {
      return [0, 1, 2].map(function (i) {
        return a[i] * weightA + b[i] * (1 - weightA);
      });
    }

    function palette(hex) {
      var white = [255, 255, 255];
      var primary = parseHex(hex) || parseHex("#0b5f73");
      // White text on the primary colour, and primary text on its light tint,
      // must both reach 4.5:1: darken a light brand colour until they do.
      for (var i = 0; i < 40; i++) {
        var soft = mix(primary, white, 0.1);
        if (contrast(primary, white) >= 4.6 && contrast(primary, soft) >= 4.6) break;
        primary = primary.map(function (c) {
          return c * 0.96;
        });
      }
      return {
        primary: toHex(primary),
        primaryDark: toHex(mix(primary, [0, 0, 0], 0.8)),
        primarySoft: toHex(mix(primary, white, 0.1)),
        primaryBorder: toHex(mix(primary, white, 0.45)),
      };
    }

    function linkTarget(value) {
      // The href of a link button: http(s), or tel:/sms: with a dialable number.
      var text = String(value).trim();
      var dial = DIAL_LINK.exec(text);
      if (dial) return dial[1].toLowerCase() + ":" + dial[2];
      var url = httpUrl(text);
      return url ? url.href : null;
    }

    function linkKind(href) {
      // "call", "text" or "web".
      var scheme = String(href).slice(0, 4).toLowerCase();
      return scheme === "tel:" ? "call" : scheme === "sms:" ? "text" : "web";
    }

    function cleanButtons(buttons) {
      var out = [];
      if (!Array.isArray(buttons)) return out;
      for (var i = 0; i < buttons.length && out.length < 8; i++) {
        var b = buttons[i];
        if (!b || typeof b.title !== "string" || !b.title.trim()) continue;
        var entry = { title: b.title.slice(0, 200) };
        if (b.url !== undefined && b.url !== null && b.url !== "") {
          // A link, whatever else it holds: never a payload sent back to the
          // assistant. A link to anything but http(s), tel: or sms: is dropped.
          var link = typeof b.url === "string" ? linkTarget(b.url) : null;
          if (!link) continue;
          entry.url = link;
        } else if (typeof b.payload === "string" && b.payload) {
          entry.payload = b.payload.slice(0, 1000);
        } else continue;
        out.push(entry);
      }
      return out;
    }

    function callLinks(m) {
      // The call and text buttons of a bot message: they make it an alert.
      if (!m || m.from !== "bot") return [];
      return (m.buttons || []).filter(function (b) {
        return b.url && linkKind(b.url) !== "web";
      });
    }

    return {
      httpUrl: httpUrl,
      fill: fill,
      languageOf: languageOf,
      parseSuggestions: parseSuggestions,
      parseHex: parseHex,
      toHex: toHex,
      luminance: luminance,
      contrast: contrast,
      mix: mix,
      palette: palette,
      linkTarget: linkTarget,
      linkKind: linkKind,
      cleanButtons: cleanButtons,
      callLinks: callLinks,
    };
  })();

  // Under Node (the tests), the helpers are all there is.
  if (typeof window === "undefined" && typeof module === "object" && module && module.exports) {
    module.exports = core;
    return;
  }

  if (window.ClinicChat && window.ClinicChat.version) return; // loaded twice
  var httpUrl = core.httpUrl,
    fill = core.fill,
    languageOf = core.languageOf,
    parseSuggestions = core.parseSuggestions,
    palette = core.palette,
    linkKind = core.linkKind,
    cleanButtons = core.cleanButtons,
    callLinks = core.callLinks;

  var VERSION = "1.0.0";
  var STORAGE_VERSION = 1;
  var MAX_STORED_MESSAGES = 200;
  var MAX_MESSAGE_LENGTH = 1000;
  var SVG_NS = "http://www.w3.org/2000/svg";

  // --- configuration from the <script> tag ----------------------------------

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var scripts = document.querySelectorAll("script[src]");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/(^|\/)widget(\.min)?\.js(\?|#|$)/.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  var script = findScript();
  var data = (script && script.dataset) || {};
  var scriptUrl = script && script.src ? script.src : window.location.href;

  function option(name, fallback) {
    var value = data[name];
    return value === undefined || value === null || String(value).trim() === ""
      ? fallback
      : String(value).trim();
  }


  var serverUrl = httpUrl(option("server", ""), scriptUrl) || httpUrl(".", scriptUrl);
  var server = serverUrl ? serverUrl.href.replace(/\/+$/, "") : "";
  var clinicName = option("clinicName", "");

  // --- the widget's own texts, in English and Spanish --------------------------

  var STRINGS = {
    en: {
      name: "English", // on the language button, in its own language
      switchTo: "Switch to English",
      title: "Ask about nerve pain",
      subtitle: "Automated assistant",
      welcomeClinic:
        "Hi! I'm the {clinic} assistant. I answer general questions about nerve pain and physical therapy. What would you like to know?",
      welcome:
        "Hi! I'm an automated assistant. I answer general questions about nerve pain and physical therapy. What would you like to know?",
      suggestions: "What is nerve pain?|How long does physical therapy take to work?|What exercises can help nerve pain?",
      notice: "General information only, not medical advice. In an emergency, call your local emergency number.",
      placeholder: "Type your question\u2026",
      inputLabel: "Your question",
      send: "Send",
      close: "Close chat",
      startOver: "Start over",
      confirm: "Start a new conversation? This clears the chat on this device.",
      cancel: "Cancel",
      conversation: "Conversation",
      suggested: "Suggested replies",
      typing: "The assistant is typing\u2026",
      youSaid: "You said: ",
      assistant: "Assistant: ",
      newTab: " (opens in a new tab)",
      image: "Image from the assistant",
      alert: "Get help now",
      timeout: "Not sent: the assistant took too long to answer.",
      offline: "Not sent: you seem to be offline.",
      http: "Not sent: the assistant had a problem ({status}).",
      network: "Not sent: we couldn't reach the assistant.",
      kept: "Your message is kept here.",
      retry: "Retry",
      retryLabel: "Retry sending: {text}",
    },
    es: {
      name: "Espa\u00f1ol",
      switchTo: "Cambiar a espa\u00f1ol",
      title: "Pregunte sobre el dolor de nervios",
      subtitle: "Asistente autom\u00e1tico",
      welcomeClinic:
        "\u00a1Hola! Soy el asistente de {clinic}. Respondo preguntas generales sobre el dolor de nervios y la fisioterapia. \u00bfQu\u00e9 le gustar\u00eda saber?",
      welcome:
        "\u00a1Hola! Soy un asistente autom\u00e1tico. Respondo preguntas generales sobre el dolor de nervios y la fisioterapia. \u00bfQu\u00e9 le gustar\u00eda saber?",
      suggestions:
        "\u00bfQu\u00e9 es el dolor de nervios?|\u00bfCu\u00e1nto tarda la fisioterapia en hacer efecto?|\u00bfQu\u00e9 ejercicios ayudan con el dolor de nervios?",
      notice:
        "Solo informaci\u00f3n general, no es consejo m\u00e9dico. En una emergencia, llame al n\u00famero de emergencias de su zona.",
      placeholder: "Escriba su pregunta\u2026",
      inputLabel: "Su pregunta",
      send: "Enviar",
      close: "Cerrar el chat",
      startOver: "Volver a empezar",
      confirm: "\u00bfEmpezar una conversaci\u00f3n nueva? Esto borra el chat en este dispositivo.",
      cancel: "Cancelar",
      conversation: "Conversaci\u00f3n",
      suggested: "Respuestas sugeridas",
      typing: "El asistente est\u00e1 escribiendo\u2026",
      youSaid: "Usted dijo: ",
      assistant: "Asistente: ",
      newTab: " (se abre en una pesta\u00f1a nueva)",
      image: "Imagen del asistente",
      alert: "Obtenga ayuda ahora",
      timeout: "No se envi\u00f3: el asistente tard\u00f3 demasiado en responder.",
      offline: "No se envi\u00f3: parece que no tiene conexi\u00f3n a internet.",
      http: "No se envi\u00f3: el asistente tuvo un problema ({status}).",
      network: "No se envi\u00f3: no pudimos comunicarnos con el asistente.",
      kept: "Su mensaje se guarda aqu\u00ed.",
      retry: "Reintentar",
      retryLabel: "Reintentar el env\u00edo: {text}",
    },
  };



  function browserLanguage() {
    // The first of the browser's languages that is English or Spanish decides.
    var list = [];
    try {
      if (navigator.languages && navigator.languages.length) list = Array.prototype.slice.call(navigator.languages);
      else if (navigator.language) list = [navigator.language];
    } catch (e) {
      /* no languages: English */
    }
    for (var i = 0; i < list.length; i++) {
      var found = languageOf(list[i]);
      if (found) return found;
    }
    return null;
  }

  var title = option("title", STRINGS.en.title);


  function clinicTexts(lang) {
    // The texts a clinic may set, in one language: data-title (English) or
    // data-title-es (Spanish)..., else the widget's own default in that language
    // (an English option never shows in the Spanish widget, nor the reverse).
    var s = STRINGS[lang];
    function pick(name) {
      return option(lang === "es" ? name + "Es" : name, null);
    }
    var heading = pick("title") || s.title;
    return {
      title: heading,
      subtitle: pick("subtitle") || clinicName || s.subtitle,
      welcome: pick("welcome") || (clinicName ? fill(s.welcomeClinic, { clinic: clinicName }) : s.welcome),
      suggestions: parseSuggestions(pick("suggestions") || s.suggestions),
      notice: pick("notice") || s.notice,
      launcherLabel: pick("launcherLabel") || heading,
      placeholder: pick("placeholder") || s.placeholder,
    };
  }

  var config = {
    server: server,
    title: title,
    clinicName: clinicName,
    // data-language: "en" or "es"; "auto" (or nothing) follows the browser.
    language: languageOf(option("language", "auto")),
    position: option("position", "right") === "left" ? "left" : "right",
    primaryColor: option("primaryColor", "#0b5f73"),
    timeout: Math.max(1000, parseInt(option("timeout", "15000"), 10) || 15000),
    startOpen: option("open", "false") === "true",
    zIndex: parseInt(option("zIndex", "2147483000"), 10) || 2147483000,
    storageKey: option("storageKey", "clinic-chat:" + server),
    // local: the conversation survives reloads and browser restarts (default);
    // session: only until the tab is closed; none: not kept at all.
    storage: /^(local|session|none)$/.test(option("storage", "local")) ? option("storage", "local") : "local",
    stylesheet: option("stylesheet", new URL("widget.css", scriptUrl).href),
  };

  // --- colours: keep the primary colour readable (WCAG AA, 4.5:1) -----------







  // --- storage ---------------------------------------------------------------

  var memoryStore = {};
  function backend() {
    // Throws where storage is blocked (some privacy modes): memory is used then.
    if (config.storage === "none") return null;
    return config.storage === "session" ? window.sessionStorage : window.localStorage;
  }
  var storage = {
    get: function (key) {
      try {
        var store = backend();
        if (store) return store.getItem(key);
      } catch (e) {
        /* fall back to memory */
      }
      return Object.prototype.hasOwnProperty.call(memoryStore, key) ? memoryStore[key] : null;
    },
    set: function (key, value) {
      try {
        var store = backend();
        if (store) return store.setItem(key, value);
      } catch (e) {
        /* fall back to memory */
      }
      memoryStore[key] = value;
    },
  };

  function uuid() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === "function") {
      try {
        return c.randomUUID();
      } catch (e) {
        /* not a secure context: fall through */
      }
    }
    var bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10
    var hex = "";
    for (var j = 0; j < 16; j++) hex += (bytes[j] + 0x100).toString(16).slice(1);
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function newConversation(language) {
    var conversation = {
      v: STORAGE_VERSION,
      sender: uuid(),
      open: false,
      draft: "",
      messages: [welcomeMessage()],
    };
    // The visitor's choice of language outlives the conversation (Start over).
    if (language) conversation.language = language;
    return conversation;
  }

  function welcomeMessage() {
    return {
      id: uuid(),
      from: "bot",
      text: texts.welcome,
      buttons: texts.suggestions,
      local: true,
    };
  }

  function started() {
    // Whether the conversation has begun: anything but the widget's own welcome.
    for (var i = 0; i < state.messages.length; i++) {
      if (!state.messages[i].local) return true;
    }
    return false;
  }

  // Call and text links hold the dialable form: digits, a leading + allowed.





  function loadState() {
    var raw = storage.get(config.storageKey);
    if (!raw) return null;
    try {
      var s = JSON.parse(raw);
      if (!s || s.v !== STORAGE_VERSION || typeof s.sender !== "string" || !Array.isArray(s.messages)) return null;
      var messages = [];
      for (var i = 0; i < s.messages.length; i++) {
        var m = s.messages[i];
        if (!m || (m.from !== "user" && m.from !== "bot")) continue;
        var clean = {
          id: typeof m.id === "string" ? m.id : uuid(),
          from: m.from,
          text: typeof m.text === "string" ? m.text : "",
        };
        if (m.from === "user") {
          if (typeof m.payload === "string") clean.payload = m.payload;
          // A request cut short by the reload: we don't know if it arrived.
          clean.status = m.status === "sent" ? "sent" : "failed";
          if (clean.status === "failed") clean.error = typeof m.error === "string" ? m.error : "network";
        } else {
          clean.buttons = cleanButtons(m.buttons);
          if (typeof m.image === "string" && httpUrl(m.image)) clean.image = m.image;
          if (m.local) clean.local = true;
        }
        messages.push(clean);
      }
      var restored = {
        v: STORAGE_VERSION,
        sender: s.sender,
        open: !!s.open,
        draft: typeof s.draft === "string" ? s.draft : "",
        messages: messages,
      };
      if (languageOf(s.language)) restored.language = languageOf(s.language);
      return restored;
    } catch (e) {
      return null;
    }
  }

  function chooseLanguage(conversation) {
    // The visitor's own choice, else data-language, else the browser's, else English.
    return (conversation && languageOf(conversation.language)) || config.language || browserLanguage() || "en";
  }

  var saved = loadState();
  var lang = chooseLanguage(saved); // "en" or "es": the widget's texts and the one sent
  var texts = clinicTexts(lang);
  var state = saved || newConversation();
  if (!saved && config.startOpen) state.open = true; // data-open: first visit only
  // Not begun yet: the welcome follows the current language and options.
  if (saved && !started()) state.messages = [welcomeMessage()];

  function t(key) {
    return STRINGS[lang][key];
  }

  function save() {
    if (state.messages.length > MAX_STORED_MESSAGES) {
      state.messages = state.messages.slice(-MAX_STORED_MESSAGES);
    }
    storage.set(config.storageKey, JSON.stringify(state));
  }

  // --- DOM helpers (text only: never innerHTML) -------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var key in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, key)) continue;
        var value = attrs[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === "text") node.textContent = value;
        else if (key === "className") node.className = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      }
    }
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function srOnly(text) {
    return el("span", { className: "cw-sr-only", text: text });
  }

  // The widget's own texts are marked with their key (data-i18n: the text,
  // data-i18n-label: aria-label, data-i18n-alt: alt), so a change of language
  // updates them in place.
  function said(tag, key, attrs) {
    var node = el(tag, attrs);
    node.setAttribute("data-i18n", key);
    node.textContent = t(key);
    return node;
  }

  function srSaid(key) {
    return said("span", key, { className: "cw-sr-only" });
  }

  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M4 12l16-8-6 16-2.5-6.5z",
    restart: "M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4",
    warn: "M12 3l10 18H2zM12 10v5M12 18v.5",
    phone:
      "M22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1 1 .4 1.9.7 2.8a2 2 0 0 1-.5 2.1L8.1 9.9a16 16 0 0 0 6 6l1.3-1.3a2 2 0 0 1 2.1-.4c.9.3 1.8.6 2.8.7a2 2 0 0 1 1.7 2z",
    message: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z",
  };

  function icon(name, filled) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "cw-icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    if (filled) {
      path.setAttribute("fill", "currentColor");
    } else {
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2");
      path.setAttribute("stroke-linecap", "round");
      path.setAttribute("stroke-linejoin", "round");
    }
    svg.appendChild(path);
    return svg;
  }

  // --- safe formatting: **bold**, line breaks, "- " lists, http(s) links ----

  var INLINE = /\*\*([^*\n]+?)\*\*|\[([^\]\n]{1,300})\]\(([^()\s]{1,2000})\)|\bhttps?:\/\/[^\s<>"'`]+/gi;

  function appendLink(parent, href, label) {
    var url = httpUrl(href);
    if (!url) {
      parent.appendChild(document.createTextNode(label)); // e.g. javascript: -> plain text
      return;
    }
    parent.appendChild(
      el("a", { href: url.href, target: "_blank", rel: "noopener noreferrer nofollow" }, [
        label,
        srSaid("newTab"),
      ])
    );
  }

  function appendInline(parent, text, inBold) {
    var last = 0;
    var match;
    var re = new RegExp(INLINE.source, "gi");
    while ((match = re.exec(text)) !== null) {
      var token = match[0];
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1] !== undefined) {
        if (inBold) {
          parent.appendChild(document.createTextNode(match[1]));
        } else {
          var strong = el("strong");
          appendInline(strong, match[1], true);
          parent.appendChild(strong);
        }
        last = match.index + token.length;
      } else if (match[2] !== undefined) {
        appendLink(parent, match[3], match[2]);
        last = match.index + token.length;
      } else {
        // A bare URL: leave trailing punctuation outside the link.
        var url = token;
        var trail = "";
        while (/[.,;:!?)\]]$/.test(url)) {
          if (url.slice(-1) === ")" && (url.match(/\(/g) || []).length >= (url.match(/\)/g) || []).length) break;
          trail = url.slice(-1) + trail;
          url = url.slice(0, -1);
        }
        appendLink(parent, url, url);
        if (trail) parent.appendChild(document.createTextNode(trail));
        last = match.index + token.length;
      }
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatText(text) {
    var fragment = document.createDocumentFragment();
    var lines = String(text).replace(/\r\n?/g, "\n").split("\n");
    var paragraph = null;
    var list = null;
    lines.forEach(function (line) {
      var bullet = /^\s*[-*\u2022]\s+(.*)$/.exec(line);
      if (bullet) {
        paragraph = null;
        if (!list) list = fragment.appendChild(el("ul"));
        var item = el("li");
        appendInline(item, bullet[1], false);
        list.appendChild(item);
      } else if (!line.trim()) {
        paragraph = null;
        list = null;
      } else {
        list = null;
        if (paragraph) paragraph.appendChild(el("br"));
        else paragraph = fragment.appendChild(el("p"));
        appendInline(paragraph, line, false);
      }
    });
    return fragment;
  }

  // --- building the widget ----------------------------------------------------

  var host;
  var root;
  var ui = {};
  var isOpen = false;
  var queue = [];
  var busy = false;

  var PANEL_ID = "cw-panel";
  var TITLE_ID = "cw-title";

  function buildHost() {
    // The page's element, its colours, and a shadow root with the stylesheet.
    host = el("div", { id: "clinic-chat-widget", "data-clinic-chat": VERSION });
    var colors = palette(config.primaryColor);
    host.style.setProperty("--cw-primary", colors.primary);
    host.style.setProperty("--cw-primary-dark", colors.primaryDark);
    host.style.setProperty("--cw-primary-soft", colors.primarySoft);
    host.style.setProperty("--cw-primary-border", colors.primaryBorder);
    host.style.setProperty("--cw-z", String(config.zIndex));
    host.style.setProperty("display", "none"); // until the stylesheet has loaded

    root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var link = el("link", { rel: "stylesheet", href: config.stylesheet });
    var shown = false;
    function show() {
      if (shown) return;
      shown = true;
      host.style.removeProperty("display");
    }
    link.addEventListener("load", show);
    link.addEventListener("error", show);
    setTimeout(show, 4000);
    root.appendChild(link);
  }

  function buildLauncher() {
    ui.launcherLabel = el("span", { className: "cw-launcher-label" });
    ui.launcher = el(
      "button",
      {
        type: "button",
        className: "cw-launcher",
        "aria-expanded": "false",
        "aria-controls": PANEL_ID,
        "aria-haspopup": "dialog",
      },
      [icon("chat", true), ui.launcherLabel]
    );
    ui.launcher.addEventListener("click", function () {
      open(true);
    });

  }

  function buildHeader() {
    ui.startOver = el("button", { type: "button", className: "cw-header-button cw-start-over" }, [
      icon("restart"),
      said("span", "startOver"),
    ]);
    ui.startOver.addEventListener("click", askStartOver);
    ui.close = el("button", { type: "button", className: "cw-header-button cw-close", "data-i18n-label": "close" }, [
      icon("close"),
    ]);
    ui.close.addEventListener("click", function () {
      close(true);
    });
    // "Español" / "English": the other language, named in itself.
    ui.languageText = el("span");
    ui.language = el("button", { type: "button", className: "cw-header-button cw-language" }, [ui.languageText]);
    ui.language.addEventListener("click", function () {
      setLanguage(lang === "es" ? "en" : "es");
    });

    ui.title = el("h2", { id: TITLE_ID, className: "cw-title" });
    ui.subtitle = el("p", { className: "cw-subtitle" });
    var header = el("div", { className: "cw-header" }, [
      ui.title,
      el("div", { className: "cw-header-sub" }, [ui.subtitle, ui.language]),
      el("div", { className: "cw-header-actions" }, [ui.startOver, ui.close]),
    ]);
    return header;
  }

  function buildConfirm() {
    // "Start over?" asked inside the panel.
    ui.confirmYes = said("button", "startOver", { type: "button", className: "cw-button cw-button-primary" });
    ui.confirmNo = said("button", "cancel", { type: "button", className: "cw-button" });
    ui.confirm = el("div", { className: "cw-confirm", role: "group", "aria-labelledby": "cw-confirm-text", hidden: true }, [
      said("p", "confirm", { id: "cw-confirm-text" }),
      el("div", { className: "cw-confirm-actions" }, [ui.confirmYes, ui.confirmNo]),
    ]);
    ui.confirmYes.addEventListener("click", function () {
      startOver();
    });
    ui.confirmNo.addEventListener("click", function () {
      hideConfirm(true);
    });

  }

  function buildComposer() {
    // The text box, the send button, the pinned call buttons and the notice.
    ui.input = el("textarea", {
      id: "cw-input",
      className: "cw-input",
      rows: "1",
      maxlength: String(MAX_MESSAGE_LENGTH),
      autocomplete: "off",
      enterkeyhint: "send",
    });
    ui.input.value = state.draft || "";
    ui.input.addEventListener("input", function () {
      state.draft = ui.input.value;
      autosize();
      save();
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        submit();
      }
    });
    ui.send = el("button", { type: "submit", className: "cw-send" }, [icon("send", true), srSaid("send")]);

    ui.form = el("form", { className: "cw-form", novalidate: true }, [
      said("label", "inputLabel", { for: "cw-input", className: "cw-sr-only" }),
      ui.input,
      ui.send,
    ]);
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit();
    });

    // The latest alert's call buttons, above the input while the alert itself is
    // scrolled out of view (see updatePinned).
    ui.pinned = el("div", { className: "cw-pinned", role: "region", "data-i18n-label": "alert", hidden: true });
    ui.notice = el("p", { className: "cw-notice" });
  }

  function buildPanel() {
    ui.log = el("div", {
      className: "cw-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "data-i18n-label": "conversation",
      tabindex: "0",
    });

    ui.panel = el(
      "div",
      {
        id: PANEL_ID,
        className: "cw-panel",
        role: "dialog",
        "aria-modal": "false",
        "aria-labelledby": TITLE_ID,
        hidden: true,
      },
      [
        buildHeader(),
        ui.confirm,
        ui.log,
        el("div", { className: "cw-footer" }, [ui.pinned, ui.form, ui.notice]),
      ]
    );
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        event.preventDefault();
        if (!ui.confirm.hidden) hideConfirm(true);
        else close(true);
      }
    });

  }

  function build() {
    buildHost();
    var wrap = el("div", { className: "cw-root cw-" + config.position });
    ui.wrap = wrap;
    root.appendChild(wrap);
    buildLauncher();
    buildConfirm();
    buildComposer();
    buildPanel();
    wrap.appendChild(ui.panel);
    wrap.appendChild(ui.launcher);

    applyTexts();
    renderAll();
    document.body.appendChild(host);

    if (state.open) open(false);
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, 120) + "px";
  }

  // --- rendering ---------------------------------------------------------------

  function renderAll() {
    while (ui.log.firstChild) ui.log.removeChild(ui.log.firstChild);
    state.messages.forEach(function (m) {
      ui.log.appendChild(renderMessage(m, false));
    });
    renderQuickReplies();
    if (busy) showTyping();
    scrollToEnd();
    updatePinned();
  }

  function callButton(b, className) {
    // A real link (tel: / sms:), so one tap calls or texts on a phone.
    var kind = linkKind(b.url);
    return el("a", { className: className + " cw-" + kind, href: b.url }, [
      icon(kind === "call" ? "phone" : "message"),
      el("span", { text: b.title }),
    ]);
  }

  function renderMessage(m, live) {
    var calls = callLinks(m);
    var item = el("div", {
      className: "cw-message cw-from-" + m.from + (calls.length ? " cw-alert" : ""),
      "data-id": m.id,
      "data-status": m.from === "user" ? m.status : null,
    });
    // An urgent reply that arrives now is announced at once (role="alert");
    // one restored from storage is not announced again.
    var bubble = el("div", { className: "cw-bubble", role: calls.length && live ? "alert" : null });
    bubble.appendChild(srSaid(m.from === "user" ? "youSaid" : "assistant"));
    if (calls.length) {
      bubble.appendChild(
        el("p", { className: "cw-alert-label" }, [icon("warn"), said("strong", "alert"), srOnly(": ")])
      );
    }
    if (m.from === "user") {
      bubble.appendChild(el("p", { className: "cw-user-text", text: m.text }));
    } else {
      if (m.text) bubble.appendChild(formatText(m.text));
      if (m.image) {
        var img = httpUrl(m.image);
        if (img) {
          bubble.appendChild(
            el("img", { className: "cw-image", src: img.href, alt: t("image"), "data-i18n-alt": "image", loading: "lazy" })
          );
        }
      }
      (m.buttons || []).forEach(function (b) {
        if (!b.url || linkKind(b.url) !== "web") return;
        var p = el("p");
        appendLink(p, b.url, b.title);
        bubble.appendChild(p);
      });
      if (calls.length) {
        bubble.appendChild(
          el(
            "div",
            { className: "cw-call-actions" },
            calls.map(function (b) {
              return callButton(b, "cw-call");
            })
          )
        );
      }
    }
    item.appendChild(bubble);
    if (m.from === "user" && m.status === "failed") item.appendChild(renderFailure(m));
    return item;
  }

  function updateStatus(m) {
    // Only the status part changes, so screen readers don't hear the message again.
    var node = ui.log.querySelector('[data-id="' + cssEscape(m.id) + '"]');
    if (!node) return;
    node.setAttribute("data-status", m.status);
    var old = node.querySelector(".cw-failure");
    if (old) old.parentNode.removeChild(old);
    if (m.status === "failed") node.appendChild(renderFailure(m));
  }

  function failureText(m) {
    if (m.error === "timeout") return t("timeout");
    if (m.error === "offline") return t("offline");
    if (m.error && m.error.indexOf("http") === 0) return fill(t("http"), { status: m.error.slice(5) });
    return t("network");
  }

  function renderFailure(m) {
    var retry = el("button", { type: "button", className: "cw-button cw-retry", text: t("retry") });
    retry.setAttribute("aria-label", fill(t("retryLabel"), { text: truncate(m.text, 60) }));
    retry.addEventListener("click", function () {
      ui.input.focus();
      retryFailed();
    });
    return el("div", { className: "cw-failure" }, [
      el("p", { className: "cw-failure-text" }, [
        icon("warn"),
        el("span", { text: failureText(m) + " " + t("kept") }),
      ]),
      retry,
    ]);
  }

  function truncate(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
  }

  function renderQuickReplies() {
    var old = ui.log.querySelectorAll(".cw-quick-replies");
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
    var last = state.messages[state.messages.length - 1];
    if (!last || last.from !== "bot" || busy) return;
    // Quick replies of the bot's latest turn (all its messages since the user spoke).
    var buttons = [];
    for (var j = state.messages.length - 1; j >= 0 && state.messages[j].from === "bot"; j--) {
      var bs = (state.messages[j].buttons || []).filter(function (b) {
        return b.payload;
      });
      if (bs.length) {
        buttons = bs;
        break;
      }
    }
    if (!buttons.length) return;
    var group = el("div", {
      className: "cw-quick-replies",
      role: "group",
      "aria-label": t("suggested"),
      "data-i18n-label": "suggested",
    });
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", className: "cw-chip", text: b.title });
      button.addEventListener("click", function () {
        ui.input.focus();
        sendMessage(b.title, b.payload);
      });
      group.appendChild(button);
    });
    ui.log.appendChild(group);
  }

  function showTyping() {
    if (ui.typing && ui.typing.parentNode) return;
    ui.typing = el("div", { className: "cw-message cw-from-bot cw-typing-row" }, [
      el("div", { className: "cw-bubble cw-typing" }, [
        el("span", { className: "cw-dot", "aria-hidden": "true" }),
        el("span", { className: "cw-dot", "aria-hidden": "true" }),
        el("span", { className: "cw-dot", "aria-hidden": "true" }),
        srSaid("typing"),
      ]),
    ]);
    ui.log.appendChild(ui.typing);
    scrollToEnd();
  }

  function hideTyping() {
    if (ui.typing && ui.typing.parentNode) ui.typing.parentNode.removeChild(ui.typing);
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function revealAnswer(question) {
    // Show a long answer from its start (with the question above it), not its end.
    var node = ui.log.querySelector('[data-id="' + cssEscape(question.id) + '"]');
    if (!node) return scrollToEnd();
    var top = Math.max(0, node.offsetTop - 12);
    if (ui.log.scrollHeight - top <= ui.log.clientHeight) scrollToEnd();
    else ui.log.scrollTop = top;
  }


  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/[^a-zA-Z0-9_-]/g, "\\$&");
  }

  function insertReplies(question, replies) {
    // Replies go right after the message they answer (and its earlier replies),
    // before any message the user queued meanwhile.
    var at = state.messages.indexOf(question) + 1;
    while (at < state.messages.length && state.messages[at].from === "bot") at++;
    var before = state.messages[at];
    var beforeNode = before ? ui.log.querySelector('[data-id="' + cssEscape(before.id) + '"]') : null;
    replies.forEach(function (r, i) {
      state.messages.splice(at + i, 0, r);
      var node = renderMessage(r, true);
      if (beforeNode) ui.log.insertBefore(node, beforeNode);
      else ui.log.appendChild(node);
    });
    save();
    updatePinned();
  }

  // --- the latest alert, pinned above the input ------------------------------

  var pinnedFor = null; // the message the pinned bar repeats
  var pinObserver = null;

  function latestAlert() {
    for (var i = state.messages.length - 1; i >= 0; i--) {
      if (callLinks(state.messages[i]).length) return state.messages[i];
    }
    return null;
  }

  function updatePinned() {
    // Repeat the latest alert's call buttons above the input, compactly, while
    // its own buttons are not fully in view (more messages came after it).
    var alert = latestAlert();
    if (pinObserver) pinObserver.disconnect();
    if (!alert) {
      pinnedFor = null;
      ui.pinned.hidden = true;
      while (ui.pinned.firstChild) ui.pinned.removeChild(ui.pinned.firstChild);
      return;
    }
    if (pinnedFor !== alert) {
      pinnedFor = alert;
      while (ui.pinned.firstChild) ui.pinned.removeChild(ui.pinned.firstChild);
      ui.pinned.appendChild(el("p", { className: "cw-pinned-label" }, [icon("warn"), said("span", "alert")]));
      ui.pinned.appendChild(
        el(
          "div",
          { className: "cw-pinned-actions" },
          callLinks(alert).map(function (b) {
            return callButton(b, "cw-call cw-call-compact");
          })
        )
      );
    }
    var node = ui.log.querySelector('[data-id="' + cssEscape(alert.id) + '"] .cw-call-actions');
    if (!node || typeof IntersectionObserver !== "function") {
      ui.pinned.hidden = false;
      return;
    }
    pinObserver = new IntersectionObserver(
      function (entries) {
        var entry = entries[entries.length - 1];
        ui.pinned.hidden = entry.isIntersecting && entry.intersectionRatio > 0.98;
      },
      { root: ui.log, threshold: [0, 0.5, 0.99, 1] }
    );
    pinObserver.observe(node);
  }

  // --- language: English or Spanish --------------------------------------------

  function applyTexts() {
    // Every text the widget itself shows or announces, in the current language.
    var other = lang === "es" ? "en" : "es";
    host.setAttribute("lang", lang);
    ui.wrap.setAttribute("lang", lang);
    ui.launcherLabel.textContent = texts.launcherLabel;
    ui.title.textContent = texts.title;
    ui.subtitle.textContent = texts.subtitle;
    ui.notice.textContent = texts.notice;
    ui.input.setAttribute("placeholder", texts.placeholder);
    // The button offers the other language, in that language.
    ui.language.setAttribute("lang", other);
    ui.language.setAttribute("aria-label", STRINGS[other].switchTo);
    ui.languageText.textContent = STRINGS[other].name;
    var i;
    var nodes = root.querySelectorAll("[data-i18n]");
    for (i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].getAttribute("data-i18n"));
    nodes = root.querySelectorAll("[data-i18n-label]");
    for (i = 0; i < nodes.length; i++) nodes[i].setAttribute("aria-label", t(nodes[i].getAttribute("data-i18n-label")));
    nodes = root.querySelectorAll("[data-i18n-alt]");
    for (i = 0; i < nodes.length; i++) nodes[i].setAttribute("alt", t(nodes[i].getAttribute("data-i18n-alt")));
  }

  function showLanguage(next) {
    // Switch the widget's texts; a conversation not begun gets the welcome
    // message and suggestions in the new language. Renders nothing of the log.
    lang = next;
    texts = clinicTexts(lang);
    if (!started()) state.messages = [welcomeMessage()];
    pinnedFor = null; // its label is rebuilt
    if (ui.log) applyTexts();
  }

  function setLanguage(next) {
    // The visitor's choice: shown at once, kept with the conversation, and sent
    // with every message from now on.
    next = languageOf(next);
    if (!next) return;
    var begun = started();
    state.language = next;
    showLanguage(next);
    save();
    if (!ui.log) return;
    if (!begun) {
      renderAll();
      return;
    }
    // Messages stay as they were written; their status and the pinned bar follow.
    state.messages.forEach(function (m) {
      if (m.from === "user" && m.status === "failed") updateStatus(m);
    });
    updatePinned();
  }

  // --- open, close, start over ------------------------------------------------

  function open(moveFocus) {
    if (!ui.panel) return;
    isOpen = true;
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    if (!state.open) {
      state.open = true;
      save();
    }
    autosize();
    scrollToEnd();
    if (moveFocus) ui.input.focus();
  }

  function close(moveFocus) {
    if (!ui.panel) return;
    isOpen = false;
    hideConfirm(false);
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    save();
    if (moveFocus) ui.launcher.focus();
  }

  function askStartOver() {
    ui.confirm.hidden = false;
    ui.confirmYes.focus();
  }

  function hideConfirm(moveFocus) {
    if (ui.confirm.hidden) return;
    ui.confirm.hidden = true;
    if (moveFocus) ui.startOver.focus();
  }

  function startOver() {
    queue = [];
    if (inFlight) inFlight.abort("restart");
    state = newConversation(state.language);
    state.open = isOpen;
    save();
    ui.input.value = "";
    autosize();
    hideConfirm(false);
    busy = false;
    renderAll();
    ui.input.focus();
  }

  // --- sending ----------------------------------------------------------------

  var inFlight = null;

  function submit() {
    var text = ui.input.value.replace(/^\s+|\s+$/g, "");
    if (!text) {
      ui.input.focus();
      return;
    }
    ui.input.value = "";
    state.draft = "";
    autosize();
    sendMessage(text.slice(0, MAX_MESSAGE_LENGTH), null);
  }

  function sendMessage(text, payload) {
    // Unsent messages go first so the assistant reads the conversation in order.
    requeueFailed();
    var m = { id: uuid(), from: "user", text: text, status: "pending" };
    if (payload && payload !== text) m.payload = payload;
    state.messages.push(m);
    save();
    renderQuickReplies();
    ui.log.appendChild(renderMessage(m, true));
    queue.push(m);
    scrollToEnd();
    pump();
  }

  function requeueFailed() {
    state.messages.forEach(function (m) {
      if (m.from === "user" && m.status === "failed") {
        m.status = "pending";
        delete m.error;
        updateStatus(m);
        queue.push(m);
      }
    });
  }

  function retryFailed() {
    requeueFailed();
    save();
    pump();
  }

  function pump() {
    if (busy || !queue.length) return;
    var m = queue.shift();
    busy = true;
    renderQuickReplies();
    showTyping();
    post(m.payload || m.text).then(
      function (replies) {
        if (!stillCurrent(m)) return;
        m.status = "sent";
        updateStatus(m);
        busy = false;
        hideTyping();
        insertReplies(m, replies);
        renderQuickReplies();
        if (queue.length) scrollToEnd();
        else revealAnswer(m);
        pump();
      },
      function (error) {
        if (!stillCurrent(m)) return;
        busy = false;
        hideTyping();
        // Keep this and every queued message, marked as not sent, in order.
        [m].concat(queue).forEach(function (q) {
          q.status = "failed";
          q.error = error;
          updateStatus(q);
        });
        queue = [];
        save();
        renderQuickReplies();
        scrollToEnd();
      }
    );
  }

  function stillCurrent(m) {
    return state.messages.indexOf(m) !== -1;
  }

  function post(message) {
    if (navigator.onLine === false) return Promise.reject("offline");
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timedOut = false;
    var timer = setTimeout(function () {
      timedOut = true;
      if (controller) controller.abort();
    }, config.timeout);
    inFlight = controller;
    var sender = state.sender;
    var language = lang; // the visitor's current choice, for answers to unclear messages
    return new Promise(function (resolve, reject) {
      var settled = false;
      var hardTimer = setTimeout(function () {
        if (!settled) {
          settled = true;
          reject("timeout");
        }
      }, config.timeout + 1000); // in case fetch ignores the abort
      fetch(config.server + "/webhooks/rest/webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ sender: sender, message: message, metadata: { language: language } }),
        signal: controller ? controller.signal : undefined,
        credentials: "omit",
        mode: "cors",
      })
        .then(function (response) {
          if (!response.ok) throw "http:" + response.status;
          return response.json();
        })
        .then(function (json) {
          if (settled) return;
          settled = true;
          resolve(toMessages(json));
        })
        .catch(function (error) {
          if (settled) return;
          settled = true;
          reject(timedOut ? "timeout" : typeof error === "string" ? error : "network");
        })
        .then(function () {
          clearTimeout(timer);
          clearTimeout(hardTimer);
          if (inFlight === controller) inFlight = null;
        });
    });
  }

  function toMessages(json) {
    var out = [];
    if (!Array.isArray(json)) return out;
    json.forEach(function (r) {
      if (!r || typeof r !== "object") return;
      var m = { id: uuid(), from: "bot", text: typeof r.text === "string" ? r.text.slice(0, 8000) : "" };
      m.buttons = cleanButtons(r.buttons || r.quick_replies);
      if (typeof r.image === "string" && httpUrl(r.image)) m.image = httpUrl(r.image).href;
      if (m.text || m.buttons.length || m.image) out.push(m);
    });
    return out;
  }

  // --- other tabs and the host page ---------------------------------------------

  window.addEventListener("storage", function (event) {
    // The same conversation open in another tab changed it: show the change.
    if (event.key !== config.storageKey || config.storage !== "local" || busy || !ui.log) return;
    var fresh = loadState();
    if (!fresh) return;
    fresh.open = isOpen;
    state = fresh;
    if (chooseLanguage(state) !== lang) showLanguage(chooseLanguage(state));
    if (document.activeElement !== host) ui.input.value = state.draft || "";
    renderAll();
  });

  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target.closest("[data-chat-open]") : null;
    if (target) {
      event.preventDefault();
      open(true);
    }
  });

  window.ClinicChat = {
    version: VERSION,
    open: function () {
      open(true);
    },
    close: function () {
      close(true);
    },
    startOver: function () {
      startOver();
    },
    // "en" or "es", as if the visitor had chosen it with the header's button.
    setLanguage: function (language) {
      setLanguage(language);
    },
    language: function () {
      return lang;
    },
    config: Object.freeze({ server: config.server, title: config.title }),
  };

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
