// Runs a module as if it were the main script and prints its peak RSS on exit:
//   node bench/maxrss.mjs dist/src/cli.js report FILE   →  stderr "maxrss-kib N"
process.on('exit', () => process.stderr.write(`maxrss-kib ${process.resourceUsage().maxRSS}\n`));
process.argv.splice(1, 1);
await import(new URL(process.argv[1], `file://${process.cwd()}/`).href);
