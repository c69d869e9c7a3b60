// Two projects: pure unit tests, and integration tests that share one real
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
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/integration/global-setup.js",
      globalTeardown: "<rootDir>/test/integration/global-teardown.js",
    },
  ],
};
