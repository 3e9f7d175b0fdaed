import { parseTimeExpression } from '@millrace/timerange';
import { epochMs, type EpochMs } from '@millrace/time';
import { z } from 'zod';

/** Shift starts in the plant's local time; each shift lasts until the next one starts (the last wraps). */
export const shiftCalendarSchema = z.object({
  shifts: z
    .array(
      z.object({
        name: z.string().min(1).max(40),
        start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm'),
      }),
    )
    .min(1)
    .max(12)
    .refine(
      (shifts) => shifts.every((shift, i) => i === 0 || shift.start > shifts[i - 1]!.start),
      'shift starts must be in ascending order within the day',
    ),
});
export type ShiftCalendar = z.infer<typeof shiftCalendarSchema>;

export const DEFAULT_SHIFT_CALENDAR: ShiftCalendar = {
  shifts: [
    { name: 'Early', start: '06:00' },
    { name: 'Late', start: '14:00' },
    { name: 'Night', start: '22:00' },
  ],
};

export interface Shift {
  readonly name: string;
  readonly from: EpochMs;
  readonly to: EpochMs;
}

/** The calendar date at `at` in `zone`, as [year, month 1-12, day]. */
function localDate(at: EpochMs, zone: string): [number, number, number] {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return [get('year'), get('month'), get('day')];
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Shift starts around `now`, oldest first: every shift of the days from `daysBack` before today to
 * tomorrow. A start in the skipped spring DST hour resolves to the instant after the gap, as the plant
 * clock jumps; in the repeated autumn hour to its first occurrence.
 */
function shiftStarts(calendar: ShiftCalendar, now: EpochMs, zone: string, daysBack: number) {
  const [year, month, day] = localDate(now, zone);
  const starts: { name: string; at: EpochMs }[] = [];
  for (let offset = -daysBack; offset <= 1; offset += 1) {
    const date = new Date(Date.UTC(year, month - 1, day + offset));
    const ymd = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
    for (const shift of calendar.shifts)
      starts.push({ name: shift.name, at: parseTimeExpression(`${ymd}T${shift.start}:00`, { now, zone }) });
  }
  return starts.sort((a, b) => a.at - b.at);
}

/** The shift running at `now` and the `count` completed ones before it, newest first. */
export function recentShifts(calendar: ShiftCalendar, now: EpochMs, zone: string, count: number): Shift[] {
  const starts = shiftStarts(calendar, now, zone, Math.ceil(count / calendar.shifts.length) + 2);
  const current = starts.findLastIndex((start) => start.at <= now);
  const shifts: Shift[] = [];
  for (let i = current; i >= 0 && shifts.length <= count; i -= 1)
    shifts.push({ name: starts[i]!.name, from: starts[i]!.at, to: starts[i + 1]!.at });
  return shifts;
}

/** The shift presets of the time picker: the current shift (until now) and the last three completed. */
export function shiftPresets(
  calendar: ShiftCalendar,
  now: EpochMs,
  zone: string,
): { label: string; from: EpochMs; to: EpochMs }[] {
  const [current, ...previous] = recentShifts(calendar, now, zone, 3);
  if (!current) return [];
  const presets = [
    {
      label: `Current shift (${current.name})`,
      from: current.from,
      to: epochMs(Math.max(now, current.from + 1)),
    },
  ];
  if (previous[0])
    presets.push({
      label: `Previous shift (${previous[0].name})`,
      from: previous[0].from,
      to: previous[0].to,
    });
  const oldest = previous[previous.length - 1];
  if (oldest && previous.length === 3)
    presets.push({ label: 'Last 3 shifts', from: oldest.from, to: current.from });
  return presets;
}
