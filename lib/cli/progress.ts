import type { ExecutionInfo } from '../engine/Execution.ts';

/** One progress line for a running execution: records read by the readers, records out, errors. */
export function formatProgress(info: ExecutionInfo): string {
  const read = info.steps[0]?.recordsIn ?? info.results;
  const out = info.steps.at(-1)?.recordsOut ?? info.results;
  const shards = `${info.shardsCompleted}/${info.shards.length} shards done`;
  return `${info.executionId}  ${read} read · ${out} out · ${info.errors.length} errors · ${shards}`;
}

/**
 * Shows the progress of whatever the engine is running on a TTY's stderr, redrawn in place every `everyMs`,
 * until the returned stop function clears it. Off a TTY it does nothing, so piped output stays clean.
 */
export function showProgress(
  running: () => ExecutionInfo[],
  stream: NodeJS.WriteStream = process.stderr,
  everyMs = 200,
): () => void {
  if (!stream.isTTY) return () => undefined;
  let shown = false;
  const timer = setInterval(() => {
    const [info] = running();
    if (!info) return;
    stream.write(`\r\x1b[2K${formatProgress(info)}`);
    shown = true;
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (shown) stream.write('\r\x1b[2K');
  };
}
