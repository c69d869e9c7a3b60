/** Resolves on Ctrl-C (SIGINT) or SIGTERM: how an `up` command stays in the foreground until told to stop. */
export function untilInterrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
}
