import { badRequest } from './errors';

/** A file part of a multipart request. */
export interface UploadedFile {
  fileName: string;
  mimeType: string;
  data: Buffer;
}

/** How a request names a file to send: a fresh upload, an earlier file_id, or a URL. */
export type InputFileRef = { kind: 'upload'; file: UploadedFile } | { kind: 'file_id'; fileId: string } | { kind: 'url'; url: string };

/**
 * The parameters of one Bot API call, whatever way they came: query string, JSON,
 * url-encoded form or multipart (where every value is a string and objects are JSON text,
 * and files are referenced by field name or by `attach://<name>`). Readers convert the way
 * the Bot API does: numbers may arrive as strings, booleans as "true"/"1".
 */
export class Params {
  constructor(
    private readonly values: Readonly<Record<string, unknown>>,
    private readonly files: ReadonlyMap<string, UploadedFile> = new Map(),
  ) {}

  static empty(): Params {
    return new Params({});
  }

  has(name: string): boolean {
    const value = this.values[name];
    return (value !== undefined && value !== null && value !== '') || this.files.has(name);
  }

  raw(name: string): unknown {
    return this.values[name];
  }

  string(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value);
  }

  /** An integer, or undefined when absent or not a number (tdlib then uses its default). */
  int(name: string): number | undefined {
    const value = this.values[name];
    if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
    if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
    return undefined;
  }

  intIn(name: string, fallback: number, min: number, max: number): number {
    const value = this.int(name);
    if (value === undefined) return fallback;
    return Math.min(max, Math.max(min, value));
  }

  bool(name: string): boolean {
    const value = this.values[name];
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value !== 0;
    if (typeof value === 'string') return value.trim().toLowerCase() === 'true' || value.trim() === '1';
    return false;
  }

  /** A JSON-valued parameter: an object in a JSON body, JSON text everywhere else. */
  json(name: string, unparsable: string): unknown {
    const value = this.values[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw badRequest(unparsable);
    }
  }

  /** An uploaded file by the name of its multipart part. */
  attachment(name: string): UploadedFile | undefined {
    return this.files.get(name);
  }

  /** A file parameter (`photo`, `document`, `media`): upload, attach://, file_id or URL. */
  inputFile(name: string): InputFileRef | undefined {
    const upload = this.files.get(name);
    if (upload !== undefined) return { kind: 'upload', file: upload };
    const value = this.string(name)?.trim();
    if (value === undefined || value === '') return undefined;
    return this.resolveFileString(value);
  }

  resolveFileString(value: string): InputFileRef {
    if (value.startsWith('attach://')) {
      const file = this.files.get(value.slice('attach://'.length));
      if (file === undefined) throw badRequest('wrong file identifier/HTTP URL specified');
      return { kind: 'upload', file };
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return { kind: 'url', url: value };
    return { kind: 'file_id', fileId: value };
  }
}
