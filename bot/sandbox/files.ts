import { randomBytes } from 'node:crypto';
import type { Document, File as TelegramFile, PhotoSize } from '@grammyjs/types';
import type { Logger } from 'pino';
import { badRequest } from './errors';
import type { Limits } from './limits';
import type { UploadedFile } from './params';

/**
 * Files in memory, per bot like Telegram's file_ids (a file_id of one bot means nothing to
 * another). A photo is stored once and described by several PhotoSize entries, as Telegram
 * does; there is no image processing here, so every size downloads the original bytes and
 * reports their length. Total bytes are capped (`limits.maxStoredFileBytes`): beyond it the
 * oldest files are evicted, with a warning in the log.
 */
export type FileKind = 'photo' | 'document';

interface FileGroup {
  kind: FileKind;
  botId: number;
  data: Buffer;
  mimeType: string;
  fileName: string | undefined;
  fileIds: string[];
  photo?: PhotoSize[];
  document?: Document;
}

export interface StoredFile {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  kind: FileKind;
  botId: number;
  data: Buffer;
  mimeType: string;
  fileName: string | undefined;
}

interface FileEntry {
  fileId: string;
  fileUniqueId: string;
  filePath: string;
  group: FileGroup;
}

/** The photo sizes Telegram derives, by the longer side. */
const PHOTO_SIDES = [90, 320, 800, 1280];
const MAX_PHOTO_SIDE = 2560;

const MIME_BY_EXTENSION: Record<string, string> = {
  pdf: 'application/pdf', csv: 'text/csv', txt: 'text/plain', json: 'application/json', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', zip: 'application/zip',
  html: 'text/html', xml: 'application/xml', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  mp4: 'video/mp4', mp3: 'audio/mpeg', ogg: 'audio/ogg',
};

export interface ImageInfo {
  format: 'png' | 'jpg' | 'gif' | 'webp' | 'bmp';
  width: number;
  height: number;
}

/** Reads the dimensions from an image header; undefined when the bytes are not an image. */
export function sniffImage(data: Buffer): ImageInfo | undefined {
  if (data.length >= 24 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a) {
    return { format: 'png', width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  }
  if (data.length >= 10 && (data.toString('latin1', 0, 6) === 'GIF87a' || data.toString('latin1', 0, 6) === 'GIF89a')) {
    return { format: 'gif', width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
  }
  if (data.length >= 26 && data.toString('latin1', 0, 2) === 'BM') {
    return { format: 'bmp', width: Math.abs(data.readInt32LE(18)), height: Math.abs(data.readInt32LE(22)) };
  }
  if (data.length >= 30 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') {
    const chunk = data.toString('latin1', 12, 16);
    if (chunk === 'VP8 ') return { format: 'webp', width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = data.readUInt32LE(21);
      return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { format: 'webp', width: data.readUIntLE(24, 3) + 1, height: data.readUIntLE(27, 3) + 1 };
    return undefined;
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    let pos = 2;
    while (pos + 9 < data.length) {
      if (data[pos] !== 0xff) return undefined;
      const marker = data[pos + 1]!;
      if (marker === 0xff) {
        pos++;
        continue;
      }
      const length = data.readUInt16BE(pos + 2);
      const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isStartOfFrame) return { format: 'jpg', height: data.readUInt16BE(pos + 5), width: data.readUInt16BE(pos + 7) };
      pos += 2 + length;
    }
  }
  return undefined;
}

const randomId = (prefix: string, bytes: number) => prefix + randomBytes(bytes).toString('base64url');

export class FileStore {
  private readonly byId = new Map<string, FileEntry>();
  private readonly byPath = new Map<string, FileEntry>();
  /** Groups in insertion order, for eviction. */
  private readonly groups = new Set<FileGroup>();
  private totalBytes = 0;
  private counter = 0;

  constructor(
    private readonly limits: Limits,
    private readonly logger: Logger,
  ) {}

  addPhoto(botId: number, upload: UploadedFile): PhotoSize[] {
    if (upload.data.length === 0) throw badRequest('file must be non-empty');
    if (upload.data.length > this.limits.maxPhotoBytes) throw badRequest('file is too big');
    const image = sniffImage(upload.data);
    if (image === undefined || image.width === 0 || image.height === 0) throw badRequest('IMAGE_PROCESS_FAILED');
    const { width, height } = image;
    if (width + height > 10_000 || Math.max(width, height) / Math.min(width, height) > 20) throw badRequest('PHOTO_INVALID_DIMENSIONS');

    const group = this.newGroup('photo', botId, upload, `image/${image.format === 'jpg' ? 'jpeg' : image.format}`);
    const longer = Math.max(width, height);
    const sides = PHOTO_SIDES.filter((side) => side < longer);
    sides.push(Math.min(longer, MAX_PHOTO_SIDE));
    group.photo = sides.map((side) => {
      const scale = side / longer;
      const entry = this.newEntry(group, 'photos', image.format);
      return {
        file_id: entry.fileId,
        file_unique_id: entry.fileUniqueId,
        file_size: upload.data.length,
        width: Math.max(1, Math.round(width * scale)),
        height: Math.max(1, Math.round(height * scale)),
      };
    });
    this.store(group);
    return group.photo;
  }

  addDocument(botId: number, upload: UploadedFile): Document {
    if (upload.data.length === 0) throw badRequest('file must be non-empty');
    if (upload.data.length > this.limits.maxDocumentBytes) throw badRequest('file is too big');
    const extension = /\.([A-Za-z0-9]{1,8})$/.exec(upload.fileName)?.[1]?.toLowerCase();
    const declared = upload.mimeType.split(';')[0]?.trim().toLowerCase();
    const mimeType = declared && declared !== 'application/octet-stream' ? declared : (extension && MIME_BY_EXTENSION[extension]) || 'application/octet-stream';
    const group = this.newGroup('document', botId, upload, mimeType);
    const entry = this.newEntry(group, 'documents', extension ?? 'dat');
    group.document = {
      file_id: entry.fileId,
      file_unique_id: entry.fileUniqueId,
      file_name: upload.fileName,
      mime_type: mimeType,
      file_size: upload.data.length,
    };
    this.store(group);
    return group.document;
  }

  /** The photo sizes an earlier file_id of this bot stands for, to send the photo again. */
  reusePhoto(botId: number, fileId: string): PhotoSize[] {
    return this.reusable(botId, fileId, 'photo').photo!;
  }

  reuseDocument(botId: number, fileId: string): Document {
    return this.reusable(botId, fileId, 'document').document!;
  }

  private reusable(botId: number, fileId: string, as: FileKind): FileGroup {
    const entry = this.byId.get(fileId);
    if (entry === undefined || entry.group.botId !== botId) throw badRequest('wrong file identifier/HTTP URL specified');
    if (entry.group.kind !== as) {
      const name = (kind: FileKind) => (kind === 'photo' ? 'Photo' : 'Document');
      throw badRequest(`can't use file of type ${name(entry.group.kind)} as ${name(as)}`);
    }
    return entry.group;
  }

  /** getFile: the File object for a file_id of this bot. */
  describe(botId: number, fileId: string): TelegramFile {
    const entry = this.byId.get(fileId.trim());
    if (entry === undefined || entry.group.botId !== botId) throw badRequest('wrong file_id or the file is temporarily unavailable');
    return { file_id: entry.fileId, file_unique_id: entry.fileUniqueId, file_size: entry.group.data.length, file_path: entry.filePath };
  }

  byPathFor(botId: number, filePath: string): StoredFile | undefined {
    const entry = this.byPath.get(filePath);
    return entry === undefined || entry.group.botId !== botId ? undefined : this.view(entry);
  }

  /** Any bot's file by file_id: the user side (browser playground) downloads with it. */
  byFileId(fileId: string): StoredFile | undefined {
    const entry = this.byId.get(fileId);
    return entry === undefined ? undefined : this.view(entry);
  }

  private view(entry: FileEntry): StoredFile {
    const { group } = entry;
    return {
      fileId: entry.fileId,
      fileUniqueId: entry.fileUniqueId,
      filePath: entry.filePath,
      kind: group.kind,
      botId: group.botId,
      data: group.data,
      mimeType: group.mimeType,
      fileName: group.fileName,
    };
  }

  private newGroup(kind: FileKind, botId: number, upload: UploadedFile, mimeType: string): FileGroup {
    return { kind, botId, data: upload.data, mimeType, fileName: kind === 'document' ? upload.fileName : undefined, fileIds: [] };
  }

  private newEntry(group: FileGroup, folder: string, extension: string): FileEntry {
    const n = ++this.counter;
    const entry: FileEntry = {
      fileId: randomId(group.kind === 'photo' ? 'AgACAgIAAxkBAA' : 'BQACAgIAAxkBAA', 42),
      fileUniqueId: randomId(group.kind === 'photo' ? 'AQAD' : 'AgAD', 9),
      filePath: `${folder}/file_${n}.${extension}`,
      group,
    };
    group.fileIds.push(entry.fileId);
    this.byId.set(entry.fileId, entry);
    this.byPath.set(entry.filePath, entry);
    return entry;
  }

  private store(group: FileGroup): void {
    this.groups.add(group);
    this.totalBytes += group.data.length;
    for (const oldest of this.groups) {
      if (this.totalBytes <= this.limits.maxStoredFileBytes || oldest === group) break;
      this.groups.delete(oldest);
      this.totalBytes -= oldest.data.length;
      for (const id of oldest.fileIds) {
        const entry = this.byId.get(id);
        this.byId.delete(id);
        if (entry !== undefined) this.byPath.delete(entry.filePath);
      }
      this.logger.warn({ botId: oldest.botId, bytes: oldest.data.length, kind: oldest.kind }, 'sandbox file store full: evicted the oldest file');
    }
  }
}
