export default async function globalTeardown() {
  await globalThis.netfenceControlPlane?.stop();
}
