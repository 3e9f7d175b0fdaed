import { tagPathSchema } from '@millrace/schema';
import picomatch from 'picomatch';
import { z } from 'zod';
import { FileProfileError } from './errors.js';

const columnName = z.string().min(1).max(64);

/** Where a file's entity key (the coil id) comes from: a column of each row, or the file's name. */
const entityKeySchema = z.union([
  z.object({ column: columnName }).strict(),
  z
    .object({
      /** A regular expression on the file's base name; its first capture group is the key. */
      fileNamePattern: z.string().min(1),
    })
    .strict(),
]);

const sampleColumnSchema = z
  .object({
    column: columnName,
    tag: tagPathSchema,
    /** The unit the tag is in; the file's own unit, when its header gives one, must agree. */
    unit: z.string().max(32).optional(),
  })
  .strict();

const valueColumns = z.array(columnName).min(1);

/** The record a row becomes on `plant.records.v1`; `values` are columns copied by their name. */
const recordSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('coil'),
      columns: z
        .object({
          alloyCode: columnName,
          entryWidthMm: columnName,
          entryThicknessMm: columnName.optional(),
          exitThicknessMm: columnName,
          weightKg: columnName,
          endTs: columnName,
        })
        .strict(),
    })
    .strict(),
  z.object({ kind: z.literal('coiler'), values: valueColumns }).strict(),
  z.object({ kind: z.literal('strip'), values: valueColumns }).strict(),
  z.object({ kind: z.literal('setup'), standColumn: columnName.optional(), values: valueColumns }).strict(),
  z
    .object({
      kind: z.literal('segment'),
      mpColumn: columnName,
      segmentColumn: columnName,
      values: valueColumns,
    })
    .strict(),
]);

/**
 * How to read one kind of flat file: which files (glob on the base name), their dialect, and what
 * each row becomes (samples wide → long, and/or one record). Column names are the header's names
 * with any `[unit]` suffix removed, e.g. `EntryWidth [mm]` is `EntryWidth`.
 */
export const fileProfileSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    /** picomatch glob on the file's base name; `*.tmp` files are never read whatever it says. */
    glob: z.string().min(1),
    delimiter: z.string().min(1).max(4),
    decimalSeparator: z.enum(['.', ',']),
    encoding: z.enum(['utf8', 'latin1']),
    /** Header lines before the data; the first holds the column names, a second may hold units. */
    headerRows: z.number().int().min(1).max(10),
    timestamp: z
      .object({
        column: columnName,
        /** Fixed-width tokens `yyyy MM dd HH mm ss SSS SSSSSS`, the rest literal. */
        format: z.string().min(1),
        /** IANA zone of the local times; absent means the plant's zone (`MILLRACE_PLANT_TZ`). */
        timeZone: z.string().min(1).optional(),
      })
      .strict(),
    entityKey: entityKeySchema,
    /** Production line id written into records, e.g. `pltcm`. */
    line: z.string().min(1).max(128),
    samples: z.array(sampleColumnSchema).optional(),
    record: recordSpecSchema.optional(),
  })
  .strict()
  .refine((profile) => profile.samples !== undefined || profile.record !== undefined, {
    message: 'a profile must produce samples, a record, or both',
  });

export type FileProfile = z.infer<typeof fileProfileSchema>;
export type FileProfileInput = z.input<typeof fileProfileSchema>;
export type RecordSpec = z.infer<typeof recordSpecSchema>;

export const fileProfilesSchema = z.array(fileProfileSchema).min(1);

/** Validates profiles from config (names unique, globs and key patterns compile). */
export function parseProfiles(input: unknown): FileProfile[] {
  const parsed = fileProfilesSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new FileProfileError(`invalid file profiles: ${issues.join('; ')}`);
  }
  const names = new Set<string>();
  for (const profile of parsed.data) {
    if (names.has(profile.name)) throw new FileProfileError(`duplicate profile name "${profile.name}"`);
    names.add(profile.name);
    if ('fileNamePattern' in profile.entityKey) {
      try {
        new RegExp(profile.entityKey.fileNamePattern);
      } catch (error) {
        throw new FileProfileError(
          `profile ${profile.name}: bad fileNamePattern: ${(error as Error).message}`,
        );
      }
    }
  }
  return parsed.data;
}

/** True for names a writer has not finished yet (written as `.tmp`, renamed when complete). */
export function isTemporaryFileName(fileName: string): boolean {
  return fileName.endsWith('.tmp') || fileName.startsWith('.');
}

/** The first profile whose glob matches the file's base name; undefined for none or a temporary file. */
export function createProfileMatcher(
  profiles: readonly FileProfile[],
): (fileName: string) => FileProfile | undefined {
  const matchers = profiles.map((profile) => ({ profile, test: picomatch(profile.glob, { dot: false }) }));
  return (fileName) => {
    if (isTemporaryFileName(fileName)) return undefined;
    return matchers.find((matcher) => matcher.test(fileName))?.profile;
  };
}

/** The entity key (coil id) a file name carries, when the profile takes it from there. */
export function entityKeyFromFileName(profile: FileProfile, fileName: string): string | undefined {
  if (!('fileNamePattern' in profile.entityKey)) return undefined;
  const match = new RegExp(profile.entityKey.fileNamePattern).exec(fileName);
  return match?.[1];
}
