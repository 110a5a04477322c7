// One lint config for src, test and scripts: typescript-eslint's recommended rules, made
// pragmatic for this tree, plus the layering the architecture depends on.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const upward = (from, banned) => ({
  files: [`src/${from}/**/*.ts`],
  rules: { "no-restricted-imports": ["error", { patterns: banned.map((b) => ({ group: [`**/${b}`, `**/${b}/*`], message: `${from}/ must not import ${b}/ (inner layers declare what they need; outer ones implement it)` })) }] },
});

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "artifacts/", "cache/", "coverage/", "reports/", "src/abi/typechain/", "src/abi/aave-typechain/", "typechain-types/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
      "prefer-const": ["error", { destructuring: "all", ignoreReadBeforeAssign: true }],
      // The project's rule: a head or a nonce is asked of the node (src/rpc/reads.ts), never of ethers' cache; no private ethers API.
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='getBlockNumber']", message: "use headOf() from src/rpc/reads.ts: ethers answers getBlockNumber from a cache" },
        { selector: "MemberExpression[property.name=/^_[a-zA-Z]/][object.type!='ThisExpression'][object.type!='Super']", message: "no private API of another library" },
      ],
    },
  },
  { files: ["src/rpc/reads.ts", "test/**/*.ts", "scripts/**/*.ts"], rules: { "no-restricted-syntax": "off" } },
  upward("risk", ["policy", "protocols", "chain", "keeper", "service", "queue", "cli", "rehearse"]),
  upward("policy", ["protocols", "chain", "keeper", "service", "queue", "cli", "rehearse"]),
  upward("domain", ["policy", "protocols", "chain", "keeper", "service", "queue", "cli", "rehearse"]),
  upward("keeper", ["service", "cli", "rehearse"]),
  upward("chain", ["keeper", "service", "cli", "rehearse", "protocols"]),
  upward("protocols", ["keeper", "service", "cli", "rehearse"]),
  upward("rehearse", ["service", "cli"]),
);
