import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) a server has used so far, read from /proc: the process and its direct
 * children (nginx's workers). Requests per CPU-second hold on a shared machine where req/s do not:
 * other work steals wall time, not the CPU time a request costs. null where /proc is not available.
 */
let ticksPerSecond;
export function cpuSeconds(pid) {
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const pids = [pid, ...childrenOf(pid)];
    let ticks = 0;
    for (const p of pids) {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / ticksPerSecond;
  } catch {
    return null;
  }
}

function childrenOf(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}
