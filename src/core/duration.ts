// Short durations for log lines, as the guide writes them: 300000 -> "5m", 1000 -> "1s", 90000 -> "1m30s".

export function shortDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}
