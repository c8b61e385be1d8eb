// Preload for benchmarks: report the process's peak resident set size on stderr when it exits.
process.on('exit', () => process.stderr.write(`MAXRSS ${process.resourceUsage().maxRSS}\n`));
export {};
