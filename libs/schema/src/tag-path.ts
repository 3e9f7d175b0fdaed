import { z } from 'zod';

declare const tagPathBrand: unique symbol;
/**
 * A tag's path along ISA-95 levels: `site/area/line/[cell/]tag`, e.g. `plant1/coldmill/pltcm/stand3/roll_force`.
 * Branded so a free-form string cannot be passed where a validated path is expected.
 */
export type TagPath = string & { readonly [tagPathBrand]: true };

export const TAG_PATH_LEVELS = ['site', 'area', 'line', 'cell', 'tag'] as const;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const MIN_SEGMENTS = 4; // site/area/line/tag: a line-level tag has no cell
const MAX_SEGMENTS = 6; // one sub-cell level (e.g. a stand's drive) beyond ISA-95's cell

/** Returns the reason `path` is not a tag path, or undefined when it is one. */
export function tagPathProblem(path: string): string | undefined {
  const segments = path.split('/');
  if (segments.length < MIN_SEGMENTS || segments.length > MAX_SEGMENTS) {
    return `a tag path has ${MIN_SEGMENTS} to ${MAX_SEGMENTS} levels (site/area/line/[cell/]tag), got ${segments.length}`;
  }
  const bad = segments.find((segment) => !SEGMENT.test(segment));
  if (bad !== undefined) return `level "${bad}" must be 1-64 of A-Z a-z 0-9 _ . - and not start with . or -`;
  return undefined;
}

export const tagPathSchema = z
  .string()
  .superRefine((path, context) => {
    const problem = tagPathProblem(path);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  })
  .transform((path) => path as TagPath);

/** Validates and brands a tag path; throws a RangeError with the reason otherwise. */
export function tagPath(path: string): TagPath {
  const problem = tagPathProblem(path);
  if (problem) throw new RangeError(`invalid tag path "${path}": ${problem}`);
  return path as TagPath;
}

export interface TagPathLevels {
  site: string;
  area: string;
  line: string;
  cell: string | undefined;
  tag: string;
}

export function tagPathLevels(path: TagPath): TagPathLevels {
  const segments = path.split('/');
  const [site = '', area = '', line = ''] = segments;
  return {
    site,
    area,
    line,
    cell: segments.length > MIN_SEGMENTS ? segments.slice(3, -1).join('/') : undefined,
    tag: segments[segments.length - 1] ?? '',
  };
}
