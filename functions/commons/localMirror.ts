/**
 * The local copy of the S3 outputs in LOGS_DIR (./logs under `npm start`), so a user
 * sees the files without an S3 client. Writes go to a temporary file first and are
 * renamed into place, so a reader never sees half a file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeMirror(logsDir: string | undefined, name: string, body: string | Uint8Array): Promise<void> {
  if (logsDir === undefined) return;
  await mkdir(logsDir, { recursive: true });
  const target = join(logsDir, name);
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, body);
  await rename(temporary, target);
}
