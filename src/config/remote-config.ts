import { z } from 'zod';
import { ConfigError } from '../config-error.js';
import type { ObjectLockMode } from '../storage/object-storage.js';
import type { S3ClientOptions } from '../storage/s3/s3-client.js';
import { booleanFlag, httpUrl } from './env-values.js';

const remoteSchema = z.object({
  ENDPOINT: httpUrl.optional(),
  REGION: z.string().min(1).default('us-east-1'),
  ACCESS_KEY: z.string({ error: 'is required' }).min(1),
  SECRET_KEY: z.string({ error: 'is required' }).min(1),
  PATH_STYLE: booleanFlag.default(false),
  OBJECT_LOCK: z.enum(['off', 'governance', 'compliance'], { error: 'must be off, governance or compliance' }).default('off'),
});

/** S3 settings of a named remote (for `mirror` and `verify` locations `s3://NAME@bucket/prefix`). */
export type RemoteSettings = Pick<S3ClientOptions, 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'forcePathStyle'> & {
  /** `_OBJECT_LOCK`: the bucket has Object Lock and copies into it are locked as their source (see docs/retention.md). @default off */
  objectLock?: ObjectLockMode;
};

/**
 * Reads the remote `name` from `DOCSTORE_REMOTE_<NAME>_ENDPOINT`, `_REGION`, `_ACCESS_KEY`,
 * `_SECRET_KEY`, `_PATH_STYLE` and `_OBJECT_LOCK` (NAME upper-cased, `-` as `_`), so that secrets never appear on
 * the command line. Invalid or missing values raise `ConfigError` naming each variable.
 */
export function loadRemote(name: string, env: Record<string, string | undefined> = process.env): RemoteSettings {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
    throw new ConfigError([{ variable: `remote ${JSON.stringify(name)}`, message: 'use letters, digits, "-" and "_"' }]);
  }
  const prefix = `DOCSTORE_REMOTE_${name.toUpperCase().replace(/-/g, '_')}_`;
  const values = Object.fromEntries(
    Object.entries(env)
      .filter(([key, value]) => key.startsWith(prefix) && value !== undefined && value !== '')
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  const parsed = remoteSchema.safeParse(values);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: `${prefix}${String(issue.path[0] ?? '')}`, message: issue.message })));
  }
  return {
    ...(parsed.data.ENDPOINT === undefined ? {} : { endpoint: parsed.data.ENDPOINT }),
    region: parsed.data.REGION,
    accessKeyId: parsed.data.ACCESS_KEY,
    secretAccessKey: parsed.data.SECRET_KEY,
    forcePathStyle: parsed.data.PATH_STYLE,
    ...(parsed.data.OBJECT_LOCK === 'off' ? {} : { objectLock: parsed.data.OBJECT_LOCK }),
  };
}
