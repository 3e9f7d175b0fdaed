import type { TagPath } from '@millrace/schema';
import type { EpochUs } from '@millrace/time';
import { mergeAggregates, type WindowAggregate } from './aggregate.js';
import { floorTo, RESOLUTION_US, RESOLUTIONS, type Resolution } from './resolution.js';

/** Options of {@link TumblingWindows}. */
export interface TumblingWindowsOptions {
  /** Window widths to maintain, each at most once, e.g. `['1s', '1m', '1h']`. */
  readonly resolutions: readonly Resolution[];
  /**
   * How far behind a tag's newest event time a sample may be and still update its windows, in
   * microseconds (e.g. `5_000_000`, 5 s). A window closes once the tag's watermark
   * (`maxEventTs - allowedLatenessUs`) reaches its end.
   */
  readonly allowedLatenessUs: number;
  /**
   * How long a tag may send nothing, in microseconds of event time, before {@link TumblingWindows.closeIdle}
   * moves its watermark along with the clock it is given (e.g. `60_000_000`, 1 min). Must exceed the
   * worst clock skew between tags and the longest normal silence of a tag, or a healthy but lagging tag
   * has its samples rejected as too late. `Infinity` disables idle closing.
   */
  readonly idleTimeoutUs: number;
}

/**
 * What {@link TumblingWindows.add} did with a sample:
 * - `accepted`: applied at every resolution; `ts` is at or past the tag's newest event time;
 * - `late`: applied at every resolution, though `ts` is older than the tag's newest event time;
 * - `too-late`: at one or more resolutions the sample's window had already closed, so it was not applied
 *   there (it may still have been applied at coarser ones; see {@link TumblingWindows.add}).
 */
export type AddOutcome = 'accepted' | 'late' | 'too-late';

/** A window handed out by {@link TumblingWindows.takeUpdates}. */
export interface WindowUpdate extends WindowAggregate {
  /** True once the window is final: no later sample can change it, and it has been evicted. */
  readonly closed: boolean;
}

/** What {@link TumblingWindows.restore} did with a stored aggregate. */
export type RestoreOutcome = 'restored' | 'merged' | 'closed';

/** Sample counts of one resolution; a sample counts once at every configured resolution. */
export interface ResolutionStats {
  readonly accepted: number;
  readonly late: number;
  readonly tooLate: number;
  readonly openWindows: number;
}

/** Counters since construction; totals count each sample once, by the outcome `add` returned. */
export interface WindowingStats {
  readonly accepted: number;
  readonly late: number;
  readonly tooLate: number;
  readonly openWindows: number;
  /** Windows changed or closed since the last `takeUpdates`. */
  readonly pendingUpdates: number;
  /** Tags with state (open windows or a watermark still worth keeping). */
  readonly tags: number;
  /** Zero for resolutions not configured. */
  readonly byResolution: Readonly<Record<Resolution, ResolutionStats>>;
}

/** A resolution's width and counters, in an array indexed like each tag's lanes. */
interface Lane {
  readonly resolution: Resolution;
  readonly sizeUs: number;
  accepted: number;
  late: number;
  tooLate: number;
  openWindows: number;
}

/** Mutable aggregate; the hot path updates it in place instead of allocating per sample. */
class MutableWindow {
  dirty = false;
  closed = false;

  constructor(
    readonly tag: TagPath,
    readonly resolution: Resolution,
    readonly start: EpochUs,
    readonly end: number,
    public min: number,
    public max: number,
    public first: number,
    public last: number,
    public sum: number,
    public count: number,
    public firstTs: EpochUs,
    public lastTs: EpochUs,
  ) {}

  add(ts: EpochUs, value: number): void {
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.sum += value;
    this.count++;
    // Strict < keeps the first-seen sample on a tie, >= takes the last-seen one.
    if (ts < this.firstTs) {
      this.firstTs = ts;
      this.first = value;
    }
    if (ts >= this.lastTs) {
      this.lastTs = ts;
      this.last = value;
    }
  }

  assign(aggregate: WindowAggregate): void {
    this.min = aggregate.min;
    this.max = aggregate.max;
    this.first = aggregate.first;
    this.last = aggregate.last;
    this.sum = aggregate.sum;
    this.count = aggregate.count;
    this.firstTs = aggregate.firstTs;
    this.lastTs = aggregate.lastTs;
  }

  snapshot(): WindowUpdate {
    return {
      tag: this.tag,
      resolution: this.resolution,
      start: this.start,
      min: this.min,
      max: this.max,
      first: this.first,
      last: this.last,
      sum: this.sum,
      count: this.count,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      closed: this.closed,
    };
  }
}

class TagState {
  maxTs = -Infinity;
  /** Open windows per lane, sorted by start: samples mostly hit the newest, and the oldest close first. */
  readonly open: MutableWindow[][];

  constructor(
    lanes: number,
    /** Event time up to which this tag's windows are closed; only ever moves forward. */
    public watermark: number,
  ) {
    this.open = Array.from({ length: lanes }, () => []);
  }

  hasOpenWindows(): boolean {
    return this.open.some((windows) => windows.length > 0);
  }
}

/**
 * Tumbling windows per tag at several resolutions, in event time, with a per-tag watermark and allowed
 * lateness. Pure: time comes only from sample timestamps and the `nowUs` given to `closeIdle`.
 *
 * Use: `add` each sample (its outcome says whether it was on time, late within the allowance, or too
 * late); `takeUpdates` to get each changed window once and evict closed ones; every few seconds
 * `closeIdle(now)` so silent tags' windows close. `restore` continues a window from a stored aggregate.
 *
 * Watermark: each tag has its own clock, so its watermark is `maxEventTs(tag) - allowedLatenessUs`
 * (moved further only by `closeIdle`). A window `[start, end)` is open while `end > watermark` and closes,
 * finally, once `end <= watermark`; a sample for a closed window is too late for that resolution.
 */
export class TumblingWindows {
  private readonly lanes: Lane[];
  private readonly lateness: number;
  private readonly idleTimeoutUs: number;
  private readonly tagStates = new Map<TagPath, TagState>();
  /** Changed or closed windows since the last take, each once (`MutableWindow.dirty` guards the push). */
  private pending: MutableWindow[] = [];
  private accepted = 0;
  private late = 0;
  private tooLate = 0;
  /**
   * Watermark given to a tag seen for the first time: the highest one `closeIdle` forced on tags it then
   * dropped, so a dropped tag that comes back cannot reopen, and overwrite with a partial row, a window
   * that was closed and written as final.
   */
  private idleFloor = -Infinity;

  constructor(options: TumblingWindowsOptions) {
    const { resolutions, allowedLatenessUs, idleTimeoutUs } = options;
    if (resolutions.length === 0) throw new RangeError('resolutions: at least one is required');
    for (const resolution of resolutions) {
      if (!RESOLUTIONS.includes(resolution)) throw new RangeError(`resolutions: unknown "${resolution}"`);
    }
    if (new Set(resolutions).size !== resolutions.length) {
      throw new RangeError(`resolutions: each at most once, got ${resolutions.join(', ')}`);
    }
    if (!Number.isFinite(allowedLatenessUs) || allowedLatenessUs < 0) {
      throw new RangeError(`allowedLatenessUs: a finite number >= 0, got ${allowedLatenessUs}`);
    }
    if (Number.isNaN(idleTimeoutUs) || idleTimeoutUs < 0) {
      throw new RangeError(`idleTimeoutUs: a number >= 0 or Infinity, got ${idleTimeoutUs}`);
    }
    this.lanes = resolutions.map((resolution) => ({
      resolution,
      sizeUs: RESOLUTION_US[resolution],
      accepted: 0,
      late: 0,
      tooLate: 0,
      openWindows: 0,
    }));
    this.lateness = allowedLatenessUs;
    this.idleTimeoutUs = idleTimeoutUs;
  }

  /**
   * Adds one sample to its window at every configured resolution. `value` must be finite: one NaN would
   * poison the window's sum, so the caller filters non-finite values (QuestDB has no NaN, only NULL).
   *
   * Each resolution decides on its own: the sample is applied wherever its window is still open and
   * skipped (counted as too late for that resolution) wherever it has closed. Because windows nest
   * (every 1 s window lies inside one 1 min window, inside one 1 h window) and finer ones end first, the
   * skipped resolutions are always the finest ones: a sample 10 s behind the watermark still updates its
   * 1 min and 1 h windows. Applying it there is right, because those rows are not final yet and every
   * sample belongs in them; dropping it at all resolutions would make the coarse rollups depend on how
   * late the fine ones happened to close. The returned outcome is the worst over the resolutions, so
   * `too-late` means "not applied to at least the finest resolution"; `stats().byResolution` tells which.
   */
  add(tag: TagPath, ts: EpochUs, value: number): AddOutcome {
    let state = this.tagStates.get(tag);
    if (state === undefined) {
      state = new TagState(this.lanes.length, this.idleFloor);
      this.tagStates.set(tag, state);
    }
    const late = ts < state.maxTs;
    if (!late) {
      state.maxTs = ts;
      const watermark = ts - this.lateness;
      if (watermark > state.watermark) {
        state.watermark = watermark;
        this.closeDue(state);
      }
    }
    let rejected = false;
    for (let i = 0; i < this.lanes.length; i++) {
      const lane = this.lanes[i]!;
      const start = floorTo(ts, lane.sizeUs);
      if (start + lane.sizeUs <= state.watermark) {
        lane.tooLate++;
        rejected = true;
        continue;
      }
      this.windowAt(state.open[i]!, lane, tag, start as EpochUs).add(ts, value);
      if (late) lane.late++;
      else lane.accepted++;
    }
    if (rejected) {
      this.tooLate++;
      return 'too-late';
    }
    if (late) {
      this.late++;
      return 'late';
    }
    this.accepted++;
    return 'accepted';
  }

  /**
   * Returns every window changed since the previous call, each once with its full current aggregate, so
   * upserting its row is correct whatever was written before: open windows keep the live rollups fresh,
   * and each window that closed since the previous call comes once more with `closed: true` (even if
   * unchanged) and is forgotten. Order: by first change since the previous call.
   */
  takeUpdates(): WindowUpdate[] {
    const pending = this.pending;
    const updates = new Array<WindowUpdate>(pending.length);
    for (let i = 0; i < pending.length; i++) {
      const window = pending[i]!;
      updates[i] = window.snapshot();
      window.dirty = false;
    }
    this.pending = [];
    return updates;
  }

  /**
   * Moves the watermark of every tag silent for at least `idleTimeoutUs` (its newest event time
   * `<= nowUs - idleTimeoutUs`) to `nowUs - allowedLatenessUs`, as if it had just sent a sample at
   * `nowUs`, so a dead sensor's windows still close (and come out of `takeUpdates` as final) once their
   * end plus the lateness has passed on that clock, exactly when they would have had it kept sending.
   * Windows are not cut short: a 1 h window of a sensor that died at 10:02 closes at 11:00 + lateness.
   * A silent tag left with no open window is dropped, so memory follows the active tags; a dropped tag
   * that returns starts from the watermark it was dropped at, so it cannot reopen a final window.
   *
   * `nowUs` is event time on the samples' clock, e.g. the newest sample timestamp seen across all tags,
   * or the wall clock when sources are time-synchronised; it should not go backwards. Costs one pass over
   * all tags, so call it every few seconds rather than per sample. Returns how many tags were idle.
   */
  closeIdle(nowUs: EpochUs): number {
    const idleBefore = nowUs - this.idleTimeoutUs;
    const watermark = nowUs - this.lateness;
    let idle = 0;
    for (const [tag, state] of this.tagStates) {
      if (state.maxTs > idleBefore) continue;
      idle++;
      if (watermark > state.watermark) {
        state.watermark = watermark;
        this.closeDue(state);
      }
      if (!state.hasOpenWindows()) {
        this.tagStates.delete(tag);
        if (state.watermark > this.idleFloor) this.idleFloor = state.watermark;
      }
    }
    return idle;
  }

  /**
   * Seeds a window from its stored rollup row, so a window half-built before a restart is continued
   * rather than overwritten by an aggregate of only the samples seen since. Call it at start-up, before
   * the first `add`, for every stored row whose window may still be open or receive replayed samples.
   * Returns `restored` when the window is seeded (not reported by `takeUpdates` until it changes or
   * closes: the stored row is already right), `merged` when samples had already opened it (the window
   * becomes {@link mergeAggregates}(stored, current) and is reported), or `closed` when the tag's
   * watermark has passed it (ignored: its stored row is final).
   *
   * The tag's newest event time becomes at least `aggregate.lastTs`, so the watermark resumes about where
   * it was before the restart and replayed samples for windows that were already final are rejected
   * rather than written as partial rows. Replayed samples that the stored row already contains are
   * counted twice in `sum` and `count` (min, max, first and last are idempotent): restore rows written
   * before the consumer's committed offset, or commit before writing rollups, to avoid it.
   * Throws a RangeError for a resolution not configured or a start not on a window boundary.
   */
  restore(aggregate: WindowAggregate): RestoreOutcome {
    const index = this.lanes.findIndex((lane) => lane.resolution === aggregate.resolution);
    const lane = this.lanes[index];
    if (lane === undefined)
      throw new RangeError(`restore: resolution ${aggregate.resolution} is not configured`);
    if (floorTo(aggregate.start, lane.sizeUs) !== aggregate.start) {
      throw new RangeError(
        `restore: ${aggregate.start} is not the start of a ${aggregate.resolution} window`,
      );
    }
    let state = this.tagStates.get(aggregate.tag);
    if (state === undefined) {
      state = new TagState(this.lanes.length, this.idleFloor);
      this.tagStates.set(aggregate.tag, state);
    }
    if (aggregate.count > 0 && aggregate.lastTs > state.maxTs) {
      state.maxTs = aggregate.lastTs;
      const watermark = aggregate.lastTs - this.lateness;
      if (watermark > state.watermark) {
        state.watermark = watermark;
        this.closeDue(state);
      }
    }
    if (aggregate.start + lane.sizeUs <= state.watermark) return 'closed';
    const open = state.open[index]!;
    const at = this.search(open, aggregate.start);
    const existing = open[at];
    if (existing !== undefined && existing.start === aggregate.start) {
      existing.assign(mergeAggregates(aggregate, existing));
      this.markDirty(existing);
      return 'merged';
    }
    const window = new MutableWindow(
      aggregate.tag,
      aggregate.resolution,
      aggregate.start,
      aggregate.start + lane.sizeUs,
      aggregate.min,
      aggregate.max,
      aggregate.first,
      aggregate.last,
      aggregate.sum,
      aggregate.count,
      aggregate.firstTs,
      aggregate.lastTs,
    );
    open.splice(at, 0, window);
    lane.openWindows++;
    return 'restored';
  }

  /** The tag's watermark: windows ending at or before it are closed. Undefined for a tag without state. */
  watermark(tag: TagPath): EpochUs | undefined {
    return this.tagStates.get(tag)?.watermark as EpochUs | undefined;
  }

  /** The tag's newest event time, undefined for a tag without state or that only had a watermark forced. */
  maxEventTs(tag: TagPath): EpochUs | undefined {
    const maxTs = this.tagStates.get(tag)?.maxTs;
    return maxTs === undefined || maxTs === -Infinity ? undefined : (maxTs as EpochUs);
  }

  /** Counters since construction, and the current number of open windows. */
  stats(): WindowingStats {
    const empty: ResolutionStats = { accepted: 0, late: 0, tooLate: 0, openWindows: 0 };
    const byResolution: Record<Resolution, ResolutionStats> = { '1s': empty, '1m': empty, '1h': empty };
    let openWindows = 0;
    for (const lane of this.lanes) {
      const { accepted, late, tooLate } = lane;
      byResolution[lane.resolution] = { accepted, late, tooLate, openWindows: lane.openWindows };
      openWindows += lane.openWindows;
    }
    return {
      accepted: this.accepted,
      late: this.late,
      tooLate: this.tooLate,
      openWindows,
      pendingUpdates: this.pending.length,
      tags: this.tagStates.size,
      byResolution,
    };
  }

  /** Finds or opens the window at `start` in a lane's sorted list, and marks it changed. */
  private windowAt(open: MutableWindow[], lane: Lane, tag: TagPath, start: EpochUs): MutableWindow {
    const newest = open[open.length - 1];
    // The hot path: an in-order sample lands in the tag's newest window.
    if (newest !== undefined && newest.start === start) {
      this.markDirty(newest);
      return newest;
    }
    let at = open.length;
    if (newest !== undefined && newest.start > start) {
      at = this.search(open, start);
      const existing = open[at];
      if (existing !== undefined && existing.start === start) {
        this.markDirty(existing);
        return existing;
      }
    }
    // Empty: the identities of min, max and sum, and timestamps any sample replaces.
    const window = new MutableWindow(
      tag,
      lane.resolution,
      start,
      start + lane.sizeUs,
      Infinity,
      -Infinity,
      Number.NaN,
      Number.NaN,
      0,
      0,
      Infinity as EpochUs,
      -Infinity as EpochUs,
    );
    if (at === open.length) open.push(window);
    else open.splice(at, 0, window);
    lane.openWindows++;
    this.markDirty(window);
    return window;
  }

  /** Index of the first window in `open` whose start is `>= start`. */
  private search(open: readonly MutableWindow[], start: number): number {
    let low = 0;
    let high = open.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (open[middle]!.start < start) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Closes the tag's windows that its watermark has passed; they leave with the next `takeUpdates`. */
  private closeDue(state: TagState): void {
    const watermark = state.watermark;
    for (let i = 0; i < this.lanes.length; i++) {
      const open = state.open[i]!;
      let closing = 0;
      while (closing < open.length && open[closing]!.end <= watermark) {
        const window = open[closing]!;
        window.closed = true;
        this.markDirty(window);
        closing++;
      }
      if (closing > 0) {
        open.splice(0, closing);
        this.lanes[i]!.openWindows -= closing;
      }
    }
  }

  private markDirty(window: MutableWindow): void {
    if (!window.dirty) {
      window.dirty = true;
      this.pending.push(window);
    }
  }
}
