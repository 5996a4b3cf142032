/**
 * ISO 8601 durations as Key Vault's rotation policies write them (`P90D`, `P3M`, `PT48H`, `P1Y10D`, `P2W`), and
 * calendar arithmetic on IntDates with them. Years and months are calendar units (UTC): `P1M` after 31 January is
 * the last day of February, as .NET's `DateTime.AddMonths` (which the service runs on) does it. Fractions and
 * negative durations are refused: a policy never needs them.
 */
import { MAX_INT_DATE, type IntDate } from './intdate.ts';

export interface IsoDuration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const PATTERN = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const DAY = 86_400;

/** The duration a text names, or undefined when it is not an ISO 8601 duration with at least one component. */
export function parseIsoDuration(text: string): IsoDuration | undefined {
  const upper = text.toUpperCase();
  const match = PATTERN.exec(upper);
  // The pattern also matches `P` and `P1DT`: a duration needs a component, and a `T` needs one after it.
  if (match === null || upper === 'P' || upper.endsWith('T')) return undefined;
  const [, years, months, weeks, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : Number(part)));
  const duration = { years: years ?? 0, months: months ?? 0, weeks: weeks ?? 0, days: days ?? 0, hours: hours ?? 0, minutes: minutes ?? 0, seconds: seconds ?? 0 };
  if (!Object.values(duration).every(Number.isSafeInteger)) return undefined;
  return duration;
}

/**
 * `at` moved forward (sign 1) or back (sign -1) by the duration: calendar years and months, then fixed units.
 * The result stays within Key Vault's dates (0 to MAX_INT_DATE), however long the duration: past them a
 * JavaScript date is NaN, and an `exp` of NaN (or of year 300000) is nothing a store or client can hold.
 */
export function shiftIntDate(at: IntDate, duration: IsoDuration, sign: 1 | -1 = 1): IntDate {
  const date = new Date(at * 1000);
  const months = sign * (duration.years * 12 + duration.months);
  if (months !== 0) {
    const day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + months);
    // Clamp to the month's last day instead of overflowing into the next month.
    const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(day, lastDay));
  }
  const fixed = (duration.weeks * 7 + duration.days) * DAY + duration.hours * 3600 + duration.minutes * 60 + duration.seconds;
  const shifted = Math.floor(date.getTime() / 1000) + sign * fixed;
  if (Number.isNaN(shifted)) return sign === 1 ? MAX_INT_DATE : 0;
  return Math.min(Math.max(shifted, 0), MAX_INT_DATE);
}

/** The fewest seconds the duration can last, whatever the date it starts on (a month counts 28 days, a year 365). */
export function minimumSeconds(duration: IsoDuration): number {
  return fixedPart(duration) + (duration.years * 365 + duration.months * 28) * DAY;
}

/** The most seconds the duration can last (a month counts 31 days, a year 366). */
export function maximumSeconds(duration: IsoDuration): number {
  return fixedPart(duration) + (duration.years * 366 + duration.months * 31) * DAY;
}

function fixedPart(duration: IsoDuration): number {
  return (duration.weeks * 7 + duration.days) * DAY + duration.hours * 3600 + duration.minutes * 60 + duration.seconds;
}
