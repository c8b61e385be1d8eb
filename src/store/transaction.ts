// Runs a MULTI and surfaces the first failed command: ioredis resolves exec() with per-command errors.
import type { Redis } from 'ioredis';

export type Transaction = ReturnType<Redis['multi']>;

export async function execTransaction(tx: Transaction): Promise<void> {
  const results = await tx.exec();
  if (results === null) throw new Error('Redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}
