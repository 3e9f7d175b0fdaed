import { readFileSync } from 'node:fs';
import { DEFAULT_PROFILES, parseProfiles, type FileProfile } from '@millrace/file-profiles';

/** The profiles of `INGEST_FILES_PROFILES_FILE` (a JSON array), or the demo plant's when it is empty. */
export function loadProfiles(file: string): readonly FileProfile[] {
  if (file === '') return DEFAULT_PROFILES;
  return parseProfiles(JSON.parse(readFileSync(file, 'utf8')));
}
