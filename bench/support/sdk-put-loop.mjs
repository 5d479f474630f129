// bench:mirror's baseline for memory: bare Node and @aws-sdk/client-s3, nothing of docstore.
// `node sdk-put-loop.mjs DIR BUCKET CONCURRENCY` uploads every file under DIR with one PutObject
// each (body read whole, key = its path under DIR), CONCURRENCY at a time, to the S3_TEST_* endpoint.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const [root, bucket, concurrency] = process.argv.slice(2);
const env = process.env;
const client = new S3Client({
  endpoint: env.S3_TEST_ENDPOINT,
  region: env.S3_TEST_REGION || 'us-east-1',
  forcePathStyle: env.S3_TEST_PATH_STYLE !== 'false',
  credentials: { accessKeyId: env.S3_TEST_ACCESS_KEY, secretAccessKey: env.S3_TEST_SECRET_KEY },
});
const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
let next = 0;
const worker = async () => {
  for (let index = next++; index < files.length; index = next++) {
    const file = files[index];
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: relative(root, file), Body: await readFile(file) }));
  }
};
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
client.destroy();
