// Request bodies: content types we accept, Content-Encoding decompression under the size limit, safe JSON.
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw, type ZlibOptions } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjp from 'secure-json-parse';
import {
  badContentEncoding,
  forbiddenKey,
  invalidUtf8,
  malformedBody,
  tooLarge,
  unsupportedEncoding,
} from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body bytes after Content-Encoding decoding, kept for webhook signature checks. */
    rawBody?: Buffer;
  }
}

const decoders: Record<string, (buf: Buffer, opts: ZlibOptions) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: inflateEither,
  br: promisify(brotliDecompress) as (buf: Buffer, opts: ZlibOptions) => Promise<Buffer>,
};

// HTTP "deflate" is meant to be zlib-wrapped, but some senders send raw deflate: accept both.
async function inflateEither(buf: Buffer, opts: ZlibOptions): Promise<Buffer> {
  try {
    return await promisify(inflate)(buf, opts);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw e;
    return promisify(inflateRaw)(buf, opts);
  }
}

/**
 * Undoes the Content-Encoding (codings applied in order, so undone in reverse). The decompressed size
 * is capped at `limit` so a small "zip bomb" cannot exhaust memory: over the cap → 413.
 */
export async function decodeContentEncoding(body: Buffer, header: string | undefined, limit: number): Promise<Buffer> {
  if (!header) return body;
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  let out = body;
  for (const coding of codings.reverse()) {
    const decode = decoders[coding];
    if (!decode) throw unsupportedEncoding(coding);
    try {
      out = await decode(out, { maxOutputLength: limit });
    } catch (e) {
      if (e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
      throw badContentEncoding(`body is not valid ${coding} data`);
    }
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Finds the path of the first `__proto__` / `constructor.prototype` key, which secure-json-parse refused. */
function findForbiddenKey(value: unknown, path: string[] = []): { path: string; key: string } | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (key === '__proto__') return { path: [...path, key].join('.'), key };
    if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) {
      return { path: [...path, key].join('.'), key };
    }
    const found = findForbiddenKey(child, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/** Parses JSON bytes: strict UTF-8, syntax errors with their position, prototype-poisoning keys refused. */
export function parseJsonBody(bytes: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidUtf8();
  }
  if (text.trim() === '') throw malformedBody('empty body');
  try {
    return sjp.parse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    if (/forbidden (prototype|constructor) property/i.test(e.message)) {
      // The text is valid JSON (secure-json-parse checks keys after JSON.parse), and JSON.parse makes
      // `__proto__` an own property, so walking a plain parse is safe and yields the key's path.
      const found = findForbiddenKey(JSON.parse(text));
      throw forbiddenKey(found?.path ?? '(root)', found?.key ?? '__proto__');
    }
    throw malformedBody(`malformed JSON: ${e.message}`, [{ path: '(root)', message: e.message }]);
  }
}

async function readBody(request: FastifyRequest, body: Buffer, limit: number): Promise<Buffer> {
  const encoding = request.headers['content-encoding'];
  const decoded = await decodeContentEncoding(body, Array.isArray(encoding) ? encoding.join(',') : encoding, limit);
  request.rawBody = decoded;
  return decoded;
}

/**
 * Replaces Fastify's default parsers: JSON everywhere, protobuf bytes (for /v1/traces), nothing else
 * (→ 415). Bodies arrive as Buffers so signatures can be checked over the exact bytes.
 */
export function registerBodyParsers(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  const json = async (request: FastifyRequest, body: Buffer) => parseJsonBody(await readBody(request, body, bodyLimit));
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, json);
  // application/cloudevents+json, application/vnd.x+json, ...: JSON all the same.
  app.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'buffer', bodyLimit }, json);
  app.addContentTypeParser(
    ['application/x-protobuf', 'application/protobuf'],
    { parseAs: 'buffer', bodyLimit },
    async (request: FastifyRequest, body: Buffer) => readBody(request, body, bodyLimit),
  );
}

