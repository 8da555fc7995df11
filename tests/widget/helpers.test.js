// The chat widget's pure helpers (widget/widget.js), run with `node --test tests/widget`.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const core = require("../../widget/widget.js");

test("fill puts values into {names} and leaves unknown ones", () => {
  assert.equal(core.fill("Call {clinic} at {phone}", { clinic: "Riverside" }), "Call Riverside at {phone}");
});

test("languageOf reads English and Spanish tags only", () => {
  assert.equal(core.languageOf("es-MX"), "es");
  assert.equal(core.languageOf("EN_us"), "en");
  assert.equal(core.languageOf("pt-BR"), null);
  assert.equal(core.languageOf(undefined), null);
});

test("parseSuggestions takes a | list or JSON, at most six, and trims", () => {
  assert.deepEqual(core.parseSuggestions(" What is TENS? | | Is it safe? "), [
    { title: "What is TENS?", payload: "What is TENS?" },
    { title: "Is it safe?", payload: "Is it safe?" },
  ]);
  const json = JSON.stringify([{ title: "Book", payload: "/book_appointment" }, 5, { title: " " }]);
  assert.deepEqual(core.parseSuggestions(json), [{ title: "Book", payload: "/book_appointment" }]);
  assert.deepEqual(core.parseSuggestions("[not json"), []);
  assert.equal(core.parseSuggestions("a|b|c|d|e|f|g|h").length, 6);
});

test("palette keeps white text and the tint readable (WCAG AA)", () => {
  for (const brand of ["#ffff00", "#0b5f73", "#ffffff", "not a colour"]) {
    const p = core.palette(brand);
    const primary = core.parseHex(p.primary);
    assert.ok(core.contrast(primary, [255, 255, 255]) >= 4.5, brand);
    assert.ok(core.contrast(primary, core.parseHex(p.primarySoft)) >= 4.5, brand);
  }
  assert.equal(core.palette("#0b5f73").primary, "#0b5f73"); // already readable: kept
});

test("link buttons: http(s), tel: and sms: only; never a payload", () => {
  assert.equal(core.linkTarget("tel:911"), "tel:911");
  assert.equal(core.linkTarget("SMS:+15551234567"), "sms:+15551234567");
  assert.equal(core.linkTarget("javascript:alert(1)"), null);
  assert.equal(core.linkTarget("tel:call-me"), null);
  assert.equal(core.linkKind("tel:911"), "call");
  assert.equal(core.linkKind("https://x.org"), "web");
  const cleaned = core.cleanButtons([
    { title: "Call 911", url: "tel:911", payload: "/ignored" },
    { title: "Evil", url: "javascript:alert(1)" },
    { title: "Book a visit", payload: "/book_appointment" },
    { title: "" },
    null,
  ]);
  assert.deepEqual(cleaned, [
    { title: "Call 911", url: "tel:911" },
    { title: "Book a visit", payload: "/book_appointment" },
  ]);
  assert.deepEqual(core.callLinks({ from: "bot", buttons: cleaned }), [{ title: "Call 911", url: "tel:911" }]);
  assert.deepEqual(core.callLinks({ from: "user", buttons: cleaned }), []);
});
