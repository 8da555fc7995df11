// ESLint for the chat widget (make lint): plain ES5 in the browser, no build step.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["widget/**/*.js"],
    languageOptions: {
      ecmaVersion: 5,
      sourceType: "script",
      // Promise and Uint8Array are used only where the browser has them.
      globals: { ...globals.browser, module: "readonly", Promise: "readonly", Uint8Array: "readonly" },
    },
    rules: {
      "no-unused-vars": ["error", { caughtErrors: "none" }],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-implicit-globals": "error",
      "no-eval": "error",
      "no-new-func": "error",
    },
  },
  {
    files: ["tests/widget/**/*.js", "eslint.config.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "commonjs",
      globals: globals.node,
    },
  },
];
