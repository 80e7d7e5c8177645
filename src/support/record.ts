// `opta support bundle --record`: the extra sections of a recorded bundle, the daemon.log window between its two markers and the doctor's facts before.
import fs from 'node:fs';
import type { DoctorCapture } from '../doctor/options.js';
import type { Section } from './bundle.js';

/** How much of daemon.log's end is searched for the markers (a recording longer than this loses its beginning). */
const WINDOW_MAX_BYTES = 4 * 1024 * 1024;

export function markerLine(marker: 'start' | 'end', id: string): RegExp {
  return new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] INFO {2}support record ${marker} ${id}$`);
}

function readTail(file: string, max: number): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, size - len);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The log lines from the start marker to the end marker, both included; throws when either is not found. */
export function recordedWindow(logFile: string, id: string): string {
  const lines = readTail(logFile, WINDOW_MAX_BYTES).split('\n');
  const start = markerLine('start', id);
  const end = markerLine('end', id);
  const i = lines.findIndex((l) => start.test(l));
  if (i < 0) throw new Error(`the recording's start marker is not in the last ${WINDOW_MAX_BYTES / 1024 / 1024} MiB of daemon.log (rotated, removed, or the recording ran long)`);
  const j = lines.findIndex((l, k) => k > i && end.test(l));
  if (j < 0) throw new Error("the recording's end marker is not in daemon.log");
  return lines.slice(i, j + 1).join('\n');
}

/** The sections a recording adds before the usual ones. */
export function recordSections(id: string, before: DoctorCapture, seconds: number): Section[] {
  return [
    {
      id: 'record-window',
      title: `daemon.log of the recording (support record ${id}, ${seconds} s; between its markers)`,
      timeoutMs: 3000,
      async collect(ctx) {
        return { text: recordedWindow(ctx.paths.logFile, id) };
      },
    },
    {
      id: 'record-doctor-before',
      title: 'doctor report before the recording (JSON; the usual doctor sections are after it)',
      timeoutMs: 1000,
      async collect() {
        return { data: { report: before.report, facts: before.facts } };
      },
      render: (data) => JSON.stringify(data, null, 2),
    },
  ];
}
