import type { DocstoreConfig } from '../config.js';
import { displayedEndpoint } from '../events/webhook-settings.js';

/** The configuration with secrets masked, for logs and `docstore config`. */
export function describeConfig(config: DocstoreConfig): Record<string, unknown> {
  const storage =
    config.storage.backend === 's3'
      ? {
          ...config.storage,
          accessKeyId: mask(config.storage.accessKeyId),
          secretAccessKey: '***',
          ...(config.storage.serverSideEncryption?.mode === 'SSE-C' ? { serverSideEncryption: { mode: 'SSE-C', customerKey: '***' } } : {}),
        }
      : config.storage;
  const encryption =
    config.encryption === undefined
      ? {}
      : { encryption: { activeKeyId: config.encryption.activeId, keyIds: config.encryption.keys.map((key) => key.id), allowPlaintext: config.encryption.allowPlaintext } };
  const database = config.database.dialect === 'postgres' ? { ...config.database, url: maskUrl(config.database.url) } : config.database;
  const jwt = config.jwt.kind === 'secret' ? { ...config.jwt, ...(config.jwt.secret === undefined ? {} : { secret: '***' }) } : config.jwt;
  const metrics = config.metrics.token === undefined ? config.metrics : { ...config.metrics, token: '***' };
  const backup = config.backup.passphrase === undefined ? config.backup : { ...config.backup, passphrase: '***' };
  const webhooks = config.webhooks === undefined ? {} : { webhooks: { ...config.webhooks, urls: config.webhooks.urls.map(displayedEndpoint), secret: '***' } };
  return { ...config, storage, database, jwt, metrics, backup, ...(config.signingSecret === undefined ? {} : { signingSecret: '***' }), ...encryption, ...webhooks };
}

function maskUrl(value: string): string {
  const url = new URL(value);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

function mask(value: string): string {
  return value.length <= 4 ? '***' : `${value.slice(0, 4)}***`;
}
