// Three projects: pure unit tests, packaging tests, and integration tests that share one real
// control plane (etcd + kube-apiserver + kube-controller-manager) started once
// per run by the integration project's global setup.
const transform = {
  "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
};
const common = {
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  testEnvironment: "node",
  transform,
};

export default {
  // Integration tests wait on a real control plane (namespace deletion, GC).
  testTimeout: 120000,
  projects: [
    // Pure tests, seconds: `npm run test:unit`.
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"], testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/unit/packaging/"] },
    // The chart, the manifests and the image's production install: builds helm from Go modules, runs npm ci.
    { ...common, displayName: "packaging", testMatch: ["<rootDir>/test/unit/packaging/**/*.test.ts"] },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/integration/global-setup.js",
      globalTeardown: "<rootDir>/test/integration/global-teardown.js",
    },
  ],
};
