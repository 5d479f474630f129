/** The server's scheduled scrub (`DOCSTORE_SCRUB_*`). */
export interface ScrubSchedule {
  /** `DOCSTORE_SCRUB_INTERVAL_HOURS`: hours between two runs. */
  intervalHours: number;
  /** `DOCSTORE_SCRUB_PERIOD_DAYS`: every version is read once in this many days. @default 30 */
  periodDays: number;
  /** `DOCSTORE_SCRUB_BANDWIDTH`: bytes per second a run reads at most. @default 20 MiB/s */
  bandwidthBytesPerSecond: number;
}

/**
 * A run's share of the archive: enough versions that the runs of one period read them all
 * (`total × intervalHours / (periodDays × 24)`, rounded up, at least 1).
 */
export function objectsPerRun(totalVersions: number, schedule: Pick<ScrubSchedule, 'intervalHours' | 'periodDays'>): number {
  const runsPerPeriod = Math.max(1, (schedule.periodDays * 24) / schedule.intervalHours);
  return Math.max(1, Math.ceil(totalVersions / runsPerPeriod));
}
