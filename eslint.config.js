// @ts-check
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    // Generated or tool-written output: never linted.
    ignores: [
      "**/node_modules/",
      "artifacts/",
      "cache/",
      "types/",
      "packages/contracts/typechain/",
      "packages/*/dist/",
      "reports/",
      "coverage/",
      "deploy/deployments/",
      ".cache/",
      ".verity-worker/",
      "models/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node },
    },
    rules: {
      // Library and service code logs through pino (STYLE.md), never the console.
      "no-console": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "always", { null: "ignore" }],
      "prefer-const": "error",
    },
  },
  {
    // Scripts, tests, deploy modules and the Hardhat config are entry points that talk to a human.
    files: ["scripts/**", "test/**", "deploy/**", "hardhat.config.ts", "eslint.config.js"],
    languageOptions: {
      globals: { ...globals.node, ...globals.mocha },
    },
    rules: {
      "no-console": "off",
    },
  },
);
