import { vi } from 'vitest';
import { program } from '../../src/index.js';

/** Runs `wharf …` in-process and returns what it printed and the exit code it set. */
export async function wharf(...args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    await program().exitOverride().parseAsync(['node', 'wharf', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  const code = process.exitCode === undefined ? undefined : Number(process.exitCode);
  process.exitCode = undefined;
  return { out, err, code };
}
