import { parentPort } from 'node:worker_threads';
import { packChunk, type ToReader, type ToWorker } from './chunk-reader.js';
import { FileProfileError } from './errors.js';
import { readChunks, type ReadChunksOptions } from './file-chunks.js';

/**
 * The worker side of {@link FileChunkReader}: reads one file at a time with {@link readChunks} and
 * posts each chunk, at most `credits` chunks ahead of what the reader has taken.
 */
const port = parentPort;
if (port === null) throw new Error('chunk-worker.js runs as a worker thread (FileChunkReader)');
let credits = 0;
let wake: (() => void) | undefined;
port.on('message', (message: ToWorker) => {
  if (message.type === 'read') void read(message.options, message.aheadChunks);
  else {
    credits += message.credits;
    wake?.();
  }
});
const post = (message: ToReader, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function read(options: ReadChunksOptions, aheadChunks: number): Promise<void> {
  credits = aheadChunks;
  try {
    await readChunks(
      options,
      (sampleTags) => post({ type: 'sampleTags', sampleTags }),
      async (chunk) => {
        while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
        credits -= 1;
        const packed = packChunk(chunk);
        post({ type: 'chunk', chunk: packed }, [packed.bytes]);
      },
    );
    post({ type: 'end' });
  } catch (error) {
    post({
      type: 'error',
      message: (error as Error).message,
      ...(error instanceof FileProfileError ? { profileContext: { ...error.context } } : {}),
    });
  }
}
